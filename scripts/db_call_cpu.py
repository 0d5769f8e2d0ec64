"""CPU per call of the venue route's one statement (a person's home and engagement), through
each layer that could carry it: what the one way to the database costs against the driver.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/luna_s3 \\
        uv run python scripts/db_call_cpu.py --calls 600 --rounds 6

Every variant runs the same statement for the same people, from the event loop as a route
would: the ORM session on a worker thread (what `luna.db.run_read_only` does), a Core
connection on a worker thread, with and without the pool's pre-ping, SQLAlchemy's asyncio
engine, and psycopg's own async pool with the statement compiled once (what Luna did before
issue 16 asked for one way to the database). Prints the median over rounds of the process CPU
time per call; the variants take turns in each round, so a noisy machine weighs on all alike.
"""

import argparse
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import uvloop
from anyio import to_thread
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import URL, create_engine, make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import sessionmaker

from luna.config import Settings
from luna.db import CONNECT_ARGS
from luna.interactions.repository import _HOME_AND_ENGAGEMENT as STATEMENT

AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}  # as run_read_only reads on PostgreSQL
AUTOCOMMIT_KW = {"autocommit": True}  # the same, for psycopg's own connections


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=600, help="per variant and round")
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    url = make_url(Settings().database_url)
    if url.get_backend_name() != "postgresql":
        raise SystemExit("DATABASE_URL must name a PostgreSQL database with a world imported")
    uvloop.run(measure(url, args.calls, args.rounds))


async def measure(url: URL, calls: int, rounds: int) -> None:
    sa_url = url.set(drivername="postgresql+psycopg")
    libpq_url = url.set(drivername="postgresql").render_as_string(hide_password=False)
    engine = create_engine(sa_url, pool_pre_ping=True, pool_size=8, connect_args=CONNECT_ARGS)
    no_ping = create_engine(sa_url, pool_size=8, connect_args=CONNECT_ARGS)
    async_engine = create_async_engine(sa_url, pool_pre_ping=True, connect_args=CONNECT_ARGS)
    with engine.connect() as connection:
        people = [row[0] for row in connection.execute(text("SELECT id FROM users LIMIT 300"))]
    if not people:
        raise SystemExit("the database has no users: import a world first")
    sessions = sessionmaker(engine)
    threads = anyio.CapacityLimiter(8)
    # The statement as psycopg runs it, compiled once (the constants of its IN list inlined).
    expanded = STATEMENT.compile(dialect=engine.dialect).construct_expanded_state({"user_id": None})
    constants = {
        name: expanded.processors[name](value) if name in expanded.processors else value
        for name, value in expanded.parameters.items()
        if name != "user_id"
    }
    pool = AsyncConnectionPool(libpq_url, min_size=8, max_size=8, open=False, kwargs=AUTOCOMMIT_KW)
    await pool.open()

    def session_call(person: Any) -> list:
        with sessions() as session:
            connection = session.connection(execution_options=AUTOCOMMIT)
            return list(connection.execute(STATEMENT, {"user_id": person}).all())

    def core_call(on: Any) -> Callable[[Any], list]:
        def call(person: Any) -> list:
            with on.connect().execution_options(**AUTOCOMMIT) as connection:
                return list(connection.execute(STATEMENT, {"user_id": person}).all())

        return call

    def on_thread(call: Callable[[Any], list]) -> Callable[[Any], Awaitable[list]]:
        return lambda person: to_thread.run_sync(call, person, limiter=threads)

    async def asyncio_engine(person: Any) -> list:
        async with async_engine.connect() as connection:
            connection = await connection.execution_options(**AUTOCOMMIT)
            return list((await connection.execute(STATEMENT, {"user_id": person})).all())

    async def psycopg_pool(person: Any) -> list:
        async with pool.connection() as connection:
            cursor = await connection.execute(expanded.statement, {**constants, "user_id": person})
            return await cursor.fetchall()

    variants: dict[str, Callable[[Any], Awaitable[list]]] = {
        "ORM session, thread, pre-ping (luna.db)": on_thread(session_call),
        "Core connection, thread, pre-ping": on_thread(core_call(engine)),
        "Core connection, thread, no pre-ping": on_thread(core_call(no_ping)),
        "asyncio engine, pre-ping": asyncio_engine,
        "psycopg async pool, compiled once": psycopg_pool,
    }
    answers = {name: len(await call(people[0])) for name, call in variants.items()}
    if len(set(answers.values())) != 1:
        raise SystemExit(f"the variants disagree: {answers}")
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, call in variants.items():
            for person in people[:50]:  # warm this variant's connections and caches
                await call(person)
            began = time.process_time()
            for i in range(calls):
                await call(people[i % len(people)])
            cpu[name].append((time.process_time() - began) / calls * 1000)
    await pool.close()
    await async_engine.dispose()
    reference = statistics.median(cpu["psycopg async pool, compiled once"])
    for name, figures in cpu.items():
        median = statistics.median(figures)
        print(f"{name:42s} {median:.3f} ms CPU per call ({median / reference:.1f}x psycopg)")


if __name__ == "__main__":
    main()
