import pytest
from pydantic import ValidationError

from luna.config import Settings, normalize_database_url


@pytest.mark.parametrize(
    "given",
    [
        "postgresql://u:p@db:5432/luna",
        "postgresql+psycopg://u:p@db:5432/luna",
        "postgresql+psycopg2://u:p@db:5432/luna",
        "postgres://u:p@db:5432/luna",
    ],
)
def test_every_postgres_spelling_uses_psycopg3(given):
    assert normalize_database_url(given) == "postgresql+psycopg://u:p@db:5432/luna"


def test_default_is_embedded_sqlite(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = Settings(_env_file=None)
    assert settings.database_url == "sqlite:///./luna.db"
    assert settings.uses_default_database


def test_database_url_from_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1/luna")
    settings = Settings(_env_file=None)
    assert settings.database_url == "postgresql+psycopg://postgres@127.0.0.1/luna"
    assert not settings.uses_default_database


def test_unsupported_database_is_refused():
    with pytest.raises(ValidationError, match="unsupported database scheme"):
        Settings(database_url="mysql://root@localhost/luna", _env_file=None)


def test_log_level_is_case_insensitive(monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "debug")
    assert Settings(_env_file=None).log_level == "DEBUG"


def test_venue_index_reloads_per_request_on_sqlite_and_per_minute_on_postgresql():
    from luna.config import RecoSettings

    sqlite = Settings(database_url="sqlite:///./x.db", reco=RecoSettings())
    postgres = Settings(database_url="postgresql://u@h/db", reco=RecoSettings())
    assert sqlite.venue_index_refresh_seconds == 0
    assert postgres.venue_index_refresh_seconds == 60
    chosen = Settings(database_url="sqlite:///./x.db", reco=RecoSettings(refresh_seconds=5))
    assert chosen.venue_index_refresh_seconds == 5
