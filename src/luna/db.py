"""Engine, sessions and the request's transaction.

The session dependency owns the transaction: services only `flush()`. It runs with
`scope="function"`, so the commit happens *before* the response is sent: a client is never
told "saved" for a write whose commit then failed.
"""

from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

from anyio import to_thread
from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from luna.config import Settings

# Execution option marking a transaction that will not write (see _configure_sqlite).
READ_ONLY = "luna_read_only"
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

T = TypeVar("T")

# How the server's connections show in pg_stat_activity.
APPLICATION_NAME = "luna"
# PostgreSQL connections: fail fast when the server is unreachable instead of hanging a
# worker; work in UTC whatever the server's time zone (a far-future time read back in a
# positive offset would overflow Python's datetime).
CONNECT_ARGS = {
    "connect_timeout": 5,
    "options": "-c timezone=UTC",
    "application_name": APPLICATION_NAME,
}


_READ_ONLY_OPTIONS = {
    "postgresql": {READ_ONLY: True, "isolation_level": "AUTOCOMMIT"},
    "sqlite": {READ_ONLY: True},  # a DEFERRED transaction: never waits for writers (WAL)
}


def create_db_engine(settings: Settings, pool_size: int | None = None) -> Engine:
    """The engine; on PostgreSQL its pool holds `pool_size` connections (no overflow), or the
    settings' pool and overflow."""
    url = settings.database_url
    # Errors and logs never carry bound values: they can be homes or other personal data.
    if url.startswith("sqlite"):
        engine = create_engine(
            url, hide_parameters=True, connect_args={"check_same_thread": False, "timeout": 30}
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        hide_parameters=True,
        pool_pre_ping=True,
        pool_size=pool_size or settings.luna_db_pool_size,
        max_overflow=0 if pool_size else settings.luna_db_pool_overflow,
        pool_timeout=5,
        connect_args=CONNECT_ARGS,
    )


def _configure_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL, and writer transactions that do not fail under contention.

    With a deferred BEGIN, a transaction that reads and then writes fails at once with
    "database is locked" if another writer got in between (busy_timeout cannot help). Write
    transactions therefore take the write lock up front (BEGIN IMMEDIATE), which queues
    writers on busy_timeout. Read-only transactions (connections with the READ_ONLY execution
    option: GET requests) begin DEFERRED, so in WAL mode they never wait for or block writers.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let us emit BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, autoflush=False)


def get_session(request: Request) -> Iterator[Session]:
    """One session and one transaction per request: commit on success, roll back on error."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session:
        if request.method in READ_ONLY_METHODS:
            session.connection(execution_options={READ_ONLY: True})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def run_read_only(request: Request, work: Callable[[Session], T]) -> T:
    """Run `work` with a read-only session of its own, in one hop to one of the hot routes'
    threads (LUNA_HOT_ROUTE_THREADS; a session that holds its connection across hops, as
    `SessionDep` does, must not wait for these, or a burst could hold every connection while
    every thread waits for one).

    For the hottest GET routes: a sync endpoint with `SessionDep` (a sync generator
    dependency) costs three thread hops per request, which at a few thousand requests per
    second is more than the work itself. On PostgreSQL each statement commits on its own
    (autocommit: no BEGIN and ROLLBACK round trips): the recommendations read what is personal
    in one statement, which is its own consistent snapshot. Errors propagate to the same
    handlers."""
    factory: sessionmaker[Session] = request.app.state.session_factory

    def run() -> T:
        with factory() as session:
            session.connection(execution_options=_READ_ONLY_OPTIONS[session.bind.dialect.name])
            return work(session)

    return await to_thread.run_sync(run, limiter=request.app.state.hot_route_threads)


async def run_in_transaction(request: Request, work: Callable[[Session], T]) -> T:
    """Run `work` and commit, in one hop to the hot routes' threads (the hot write routes; same
    rules as `get_session`: the commit happens before the response, a failure rolls everything
    back)."""
    factory: sessionmaker[Session] = request.app.state.session_factory

    def run() -> T:
        with factory() as session:
            try:
                result = work(session)
                session.commit()
                return result
            except BaseException:
                session.rollback()
                raise

    return await to_thread.run_sync(run, limiter=request.app.state.hot_route_threads)
