"""Long schemathesis run against a real Luna server on a fresh PostgreSQL database.

Seeds the demo data (so generated ids sometimes hit real rows), serves with authentication
on, and lets schemathesis generate requests for every operation of /openapi.json with an
admin token. Prints how many requests were generated, the failures, and the number of 5xx
responses the server logged. The issue's bar: 2,000+ requests, zero failures.

    uv run python scripts/fuzz.py [--max-examples 100] [--url postgresql://...]
"""

import argparse
import logging
import sys
import uuid
from pathlib import Path

from scratchdb import DEFAULT_ADMIN_URL, scratch_database

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from luna.app import create_app
from luna.auth.tokens import issue_token
from luna.config import Settings
from luna.demo import seed_demo
from tests.fuzzing import run_schemathesis
from tests.live import serve_in_thread


class StatusCounter(logging.Handler):
    """Counts the access log's 5xx lines."""

    def __init__(self) -> None:
        super().__init__()
        self.server_errors = 0
        self.requests = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.requests += 1
        if getattr(record, "status", 0) >= 500:
            self.server_errors += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--url", default=DEFAULT_ADMIN_URL, help="admin URL of a PostgreSQL server")
    args = parser.parse_args()

    with scratch_database("luna_fuzz", args.url) as url:
        settings = Settings(
            database_url=url,
            luna_env="test",
            luna_jwt_secret="fuzz-secret-0123456789-0123456789-0123",
            luna_write_rate_limit="1000000/minute",
            log_level="WARNING",
        )
        app = create_app(settings)
        seed_demo(app.state.engine)
        counter = StatusCounter()
        access = logging.getLogger("luna.access")
        access.setLevel(logging.INFO)
        access.addHandler(counter)
        access.propagate = False
        token = issue_token(settings, uuid.uuid4(), admin=True)
        with serve_in_thread(app) as base_url:
            result = run_schemathesis(
                base_url, token, max_examples=args.max_examples, seed=args.seed
            )
        app.state.engine.dispose()

    print(result.output[-4000:])
    print(f"generated test cases: {result.generated}")
    print(f"requests served:      {counter.requests}")
    print(f"5xx responses:        {counter.server_errors}")
    print(f"failures:             {result.failures}")
    sys.exit(0 if result.exit_code == 0 and counter.server_errors == 0 else 1)


if __name__ == "__main__":
    main()
