"""Fixtures: every API test runs against SQLite and PostgreSQL (a fixture parameter).

PostgreSQL comes from LUNA_TEST_POSTGRES_URL (default: the local server). Each pytest run
creates its own fresh database, migrates it with Alembic and drops it at the end; SQLite gets
a fresh migrated file. Tests are isolated by emptying every table before each test. Under CI
(CI=true) an unreachable PostgreSQL fails the run instead of skipping.
"""

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from luna.abuse import WriteRateLimiter
from luna.agent.providers.registry import build_registry
from luna.app import create_app
from luna.config import RecoSettings, Settings, normalize_database_url
from luna.db import READ_ONLY, create_db_engine
from luna.experiments.serving import REFRESH_THREAD
from luna.migrate import upgrade
from luna.models import Base
from luna.reco.index import RELOAD_THREAD
from luna.reco.learned_context import REBUILD_THREAD, WARM_UP_THREAD

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BACKENDS = ["sqlite", "postgresql"]


def postgres_admin_url() -> str:
    return normalize_database_url(os.environ.get("LUNA_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated database for this test run."""
    admin_url = postgres_admin_url()
    admin = create_engine(
        admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    name = f"luna_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        message = f"PostgreSQL unreachable at {make_url(admin_url).render_as_string()}: {exc.orig}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = create_db_engine(Settings(database_url=url))
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, for tests that need a second, independent database."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = create_db_engine(Settings(database_url=f"sqlite:///{path}"))
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def sqlite_url(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """This run's SQLite database (a copy of the template)."""
    path = tmp_path_factory.mktemp("sqlite") / "luna.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


class AppCache:
    """One app (and engine) per database and settings for the whole run.

    Building a FastAPI app's routes happens on its first request and costs a few hundred
    milliseconds; sharing apps keeps the suite fast. Each test still gets an empty database
    and fresh per-app state (providers, rate limiter).
    """

    def __init__(self) -> None:
        self._apps: dict[str, FastAPI] = {}
        self._cleaners: dict[str, Engine] = {}
        self._last_key: str | None = None

    def app(self, settings: Settings) -> FastAPI:
        key = settings.model_dump_json()
        if key not in self._apps:
            self._apps[key] = create_app(settings)
        if self._last_key not in (None, key):
            # Only the app in use keeps its pool's connections open: every settings variant
            # on PostgreSQL kept up to a full pool (a concurrency test fills one), and the
            # suite reached PostgreSQL's 100 connections. The engine stays usable.
            self._apps[self._last_key].state.engine.dispose()
        self._last_key = key
        app = self._apps[key]
        app.state.providers = build_registry(settings)
        app.state.write_limiter = WriteRateLimiter(settings)
        return app

    def empty(self, url: str) -> None:
        """Delete every row (the schema stays, at the latest migration)."""
        if url not in self._cleaners:
            self._cleaners[url] = create_db_engine(Settings(database_url=url))
        wait_for_background_loads()
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
        with self._cleaners[url].begin() as conn:
            if url.startswith("sqlite"):
                for table in tables:
                    conn.execute(text(f'DELETE FROM "{table}"'))
            else:
                conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))

    def close(self) -> None:
        for app in self._apps.values():
            app.state.engine.dispose()
        for engine in self._cleaners.values():
            engine.dispose()


# The threads an app starts for its venue index and the learned ranker's context: daemon
# threads that outlive the test whose app started them.
BACKGROUND_LOADS = (RELOAD_THREAD, WARM_UP_THREAD, REBUILD_THREAD, REFRESH_THREAD)


def wait_for_background_loads(timeout: float = 60.0) -> None:
    """Let a previous test's background loads finish before the tables are emptied: one still
    reading when TRUNCATE locks the tables one by one deadlocks with it (a CI failure), and one
    that commits afterwards leaves its rows to the next test."""
    for thread in threading.enumerate():
        if thread.name in BACKGROUND_LOADS:
            thread.join(timeout)
            assert not thread.is_alive(), f"{thread.name} still running after {timeout} s"


@pytest.fixture(scope="session")
def app_cache() -> Iterator[AppCache]:
    cache = AppCache()
    yield cache
    cache.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, app_cache: AppCache) -> str:
    """An empty, migrated database of each backend in turn."""
    url: str = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url")
    app_cache.empty(url)
    return url


@pytest.fixture
def settings(db_url: str) -> Settings:
    """Authentication off, as for local development: the contract tests exercise behaviour;
    tests/auth runs the same routes with authentication on."""
    return Settings(
        database_url=db_url,
        luna_env="test",
        luna_auth=False,
        luna_write_rate_limit="1000000/minute",  # tests/test_abuse.py tests the limiter
        # The venue index reloads on every request: tests see their own writes at once
        # (tests/reco/test_index.py covers the windows).
        reco=RecoSettings(refresh_seconds=0),
        # Only this process's own creates and stops: no background reads between statements
        # (tests/experiments/test_processes.py covers the periodic refresh).
        luna_experiments_refresh_seconds=0,
    )


@pytest.fixture
def app(settings: Settings, app_cache: AppCache) -> FastAPI:
    return app_cache.app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def engine(app: FastAPI) -> Engine:
    return app.state.engine


@pytest.fixture
def db_session(app: FastAPI) -> Iterator[Session]:
    """A session on the same database as the app, for looking behind the API.

    Its transactions begin DEFERRED on SQLite, so an open read never blocks the app's writers.
    """
    with Session(app.state.engine.execution_options(**{READ_ONLY: True})) as session:
        yield session
