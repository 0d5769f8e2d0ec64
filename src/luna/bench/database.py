"""A throwaway PostgreSQL database for benchmarks and long checks: created, migrated with
Alembic, dropped at the end (also used by the scripts in scripts/)."""

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
