"""The benchmark's databases: a throwaway PostgreSQL database for benchmarks and long checks
(created, migrated with Alembic, dropped at the end; also used by the scripts in scripts/), or
an empty one named on the command line, and the server settings recorded with the figures."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from luna.config import Settings, normalize_database_url
from luna.db import create_db_engine
from luna.migrate import upgrade

DEFAULT_ADMIN_URL = os.environ.get(
    "LUNA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def scratch_database(prefix: str, admin_url: str = DEFAULT_ADMIN_URL) -> Iterator[str]:
    """Yields the URL of a fresh, migrated database named `<prefix>_<random>`."""
    admin_url = normalize_database_url(admin_url)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        engine = create_db_engine(Settings(database_url=url))
        upgrade(engine)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def bench_database(scale: str, database_url: str | None, admin_url: str) -> Iterator[str]:
    """Yields a scratch database for the scale, or `database_url` (migrated, and checked empty)."""
    if database_url is None:
        with scratch_database(f"luna_bench_{scale.lower()}", admin_url) as url:
            yield url
        return
    engine = create_db_engine(Settings(database_url=database_url))
    try:
        upgrade(engine)
        with engine.connect() as conn:
            if conn.execute(text("SELECT count(*) FROM users")).scalar_one():
                raise ValueError("--database-url must name an empty database (it has users)")
    finally:
        engine.dispose()
    yield database_url


# What of PostgreSQL's configuration moves the figures; recorded with each scale.
POSTGRES_SETTINGS = ("server_version", "shared_buffers", "synchronous_commit", "max_connections")


def postgres_settings(url: str) -> dict[str, str | int]:
    """The server's settings that matter here, and how many connections are free."""
    if not url.startswith(("postgresql", "postgres")):
        return {}
    engine = create_db_engine(Settings(database_url=url))
    try:
        with engine.connect() as conn:
            found: dict[str, str | int] = {
                name: conn.execute(text(f"SHOW {name}")).scalar_one() for name in POSTGRES_SETTINGS
            }
            found["free_connections"] = conn.execute(
                text(
                    "SELECT current_setting('max_connections')::int "
                    "- current_setting('superuser_reserved_connections')::int "
                    "- (SELECT count(*) FROM pg_stat_activity)"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    return found


def connections_warning(postgres: dict, workers: int) -> str | None:
    """Each worker may hold its engine's pool (luna.db); a server short of them answers 503."""
    settings = Settings()
    per_worker = settings.luna_db_pool_size + settings.luna_db_pool_overflow
    free = postgres.get("free_connections")
    if isinstance(free, int) and free < per_worker * workers + 5:
        return (
            f"PostgreSQL has {free} free connections; {workers} workers may want "
            f"{per_worker * workers}: expect 503s (errors) under load"
        )
    return None
