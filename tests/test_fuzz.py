"""A short schemathesis run against a real server on each database (the long run is
scripts/fuzz.py): no 5xx and no response that breaks the documented schema."""

import uuid

from luna.app import create_app
from luna.auth.tokens import issue_token
from luna.config import Settings
from tests.fuzzing import run_schemathesis
from tests.live import serve_in_thread


def test_fuzzing_finds_no_server_errors_or_schema_violations(db_url):
    settings = Settings(
        database_url=db_url,
        luna_env="test",
        luna_jwt_secret="fuzz-secret-0123456789-0123456789-0123",
        luna_write_rate_limit="1000000/minute",
    )
    app = create_app(settings)
    token = issue_token(settings, uuid.uuid4(), admin=True)
    try:
        with serve_in_thread(app) as base_url:
            result = run_schemathesis(base_url, token, max_examples=8)
    finally:
        app.state.engine.dispose()
    assert result.generated > 100, result.output[-3000:]
    assert result.exit_code == 0, result.output[-6000:]
