"""Reads for the hottest routes: one statement, rows back, without an ORM session.

A venue or people recommendation reads what is personal in one or two statements; the rest is
in memory. Through a SQLAlchemy session on a worker thread, the bookkeeping around such a
statement (thread hop, session, pool pre-ping, transaction begin and rollback, result
processing) cost three times the statement itself (0.94 ms of CPU against 0.25 ms, measured
at S3 of issue 4). So on PostgreSQL these statements run on psycopg's own asyncio pool, in
the event loop, in autocommit (one statement is its own consistent snapshot): one round trip,
and psycopg prepares them on the server after a few uses. The statements stay SQLAlchemy
Core, written once in their domain's repository, and are compiled here for psycopg.

On SQLite (the embedded default) and whenever the pool is not open (the app used without its
lifespan), `SessionReader` runs the same reads through a read-only session on a worker
thread, exactly as the other routes do, and writes take a session.
"""

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from sqlalchemy import Executable
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.compiler import SQLCompiler
from starlette.concurrency import run_in_threadpool

from luna.config import Settings
from luna.db import CONNECT_ARGS, READ_ONLY
from luna.errors import ServiceUnavailable

logger = logging.getLogger(__name__)

Row = Sequence[Any]
# Per process, as the SQLAlchemy pool's size (luna.db).
POOL_SIZE = 10
# How these connections show in pg_stat_activity.
APPLICATION_NAME = "luna-hot-reads"


class Reader(Protocol):
    async def rows(self, statement: Executable, params: Mapping[str, Any]) -> list[Row]:
        """Every row of one read-only statement."""
        ...


class SessionReader:
    """The statement on a read-only session, in one worker-thread hop."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    async def rows(self, statement: Executable, params: Mapping[str, Any]) -> list[Row]:
        def run() -> list[Row]:
            with self._session_factory() as session:
                connection = session.connection(execution_options={READ_ONLY: True})
                return list(connection.execute(statement, dict(params)).all())

        return await run_in_threadpool(run)


@dataclass(frozen=True)
class CompiledRead:
    """A Core statement as psycopg runs it: SQL text, the statement's own constants (an
    expanded IN list, literals SQLAlchemy binds) and the bind processors of its parameters."""

    sql: str
    constants: dict[str, Any]
    processors: Mapping[str, Callable[[Any], Any]]

    def parameters(self, params: Mapping[str, Any]) -> dict[str, Any]:
        bound = dict(self.constants)
        for name, value in params.items():
            process = self.processors.get(name)
            bound[name] = value if process is None or value is None else process(value)
        return bound


_DIALECT = psycopg_dialect()


def compile_for_psycopg(statement: Executable) -> CompiledRead:
    compiled = statement.compile(dialect=_DIALECT)
    assert isinstance(compiled, SQLCompiler)
    # Parameters the caller supplies (bindparam("user_id")) have no value yet: placeholders
    # let SQLAlchemy expand the rest (IN lists) and report their processed values.
    supplied = {bind.key for bind in compiled.binds.values() if bind.required}
    expanded = compiled.construct_expanded_state({name: None for name in supplied})
    constants = {}
    for name, value in expanded.parameters.items():
        if name in supplied:
            continue
        process = expanded.processors.get(name)
        constants[name] = process(value) if process is not None else value
    processors = {
        name: expanded.processors[name] for name in supplied if name in expanded.processors
    }
    return CompiledRead(expanded.statement, constants, processors)


class PsycopgReader:
    """Statements on a psycopg asyncio pool of autocommit connections (PostgreSQL)."""

    def __init__(self, settings: Settings, timeout: float = 5.0) -> None:
        url = make_url(settings.database_url).set(drivername="postgresql")
        self._pool = AsyncConnectionPool(
            url.render_as_string(hide_password=False),
            # Opened on demand: tests start and stop many apps.
            min_size=0,
            max_size=POOL_SIZE,
            kwargs={**CONNECT_ARGS, "autocommit": True, "application_name": APPLICATION_NAME},
            # Waiting long for a connection only queues more work: shed load (503) instead.
            # A server that refuses connections also ends here, after `timeout`.
            timeout=timeout,
            open=False,
            name=APPLICATION_NAME,
        )
        # Statements are module constants: each is compiled once per process.
        self._compiled: dict[Executable, CompiledRead] = {}

    async def open(self) -> None:
        await self._pool.open(wait=False)

    async def close(self) -> None:
        await self._pool.close()

    async def rows(self, statement: Executable, params: Mapping[str, Any]) -> list[Row]:
        return await self._run(statement, params)

    async def _run(self, statement: Executable, params: Mapping[str, Any]) -> list[Row]:
        compiled = self._compiled.get(statement)
        if compiled is None:
            compiled = self._compiled[statement] = compile_for_psycopg(statement)
        bound = compiled.parameters(params)
        try:
            return await self._fetch(compiled.sql, bound)
        except (psycopg.OperationalError, psycopg.InterfaceError):
            # A connection the server closed (restart, failover) fails its next statement; a
            # read (or an idempotent write) can safely go again on a fresh one. A second
            # failure is an outage.
            logger.warning("hot statement failed, retrying on a new connection", exc_info=True)
            try:
                return await self._fetch(compiled.sql, bound)
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                logger.warning("database unavailable: %s", type(exc).__name__)
                raise ServiceUnavailable("Database unavailable", retry_after=5) from exc

    async def _fetch(self, sql: str, params: dict[str, Any]) -> list[Row]:
        try:
            async with self._pool.connection() as connection:
                cursor = await connection.execute(sql, params)  # type: ignore[arg-type]
                return await cursor.fetchall()
        except PoolTimeout as exc:
            logger.warning("no connection for a hot read (pool exhausted or database down)")
            raise ServiceUnavailable(
                "Database busy or unreachable, retry shortly", retry_after=1
            ) from exc
