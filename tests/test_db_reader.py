"""The hot-read path (luna.db_reader): statements compiled for psycopg answer as through
SQLAlchemy, a connection the server dropped is replaced, an outage is a 503; the one write
on it (an interaction) is idempotent."""

import asyncio
import logging

import pytest
from sqlalchemy import text

from luna.config import Settings
from luna.db_reader import APPLICATION_NAME, PsycopgReader, SessionReader
from luna.errors import ServiceUnavailable
from luna.interactions import repository as interaction_repository
from luna.social import repository as social_repository
from tests.factories import connect, create_user, create_venue, interact

# psycopg's pool serves hot reads on PostgreSQL only.
postgres_only = pytest.mark.parametrize("backend", ["postgresql"])


@postgres_only
def test_compiled_statements_give_sqlalchemys_rows(client, settings):
    me = create_user(client, home_lat=40.7, home_lng=-74.0)
    friend = create_user(client)
    bar = create_venue(client, category="bar")
    connect(client, me["id"], friend["id"], strength=0.5)
    interact(client, friend["id"], bar["id"], "like", dwell_time_seconds=30)
    interact(client, me["id"], bar["id"], "view")
    reads = [
        (interaction_repository._HOME_AND_ENGAGEMENT, {"user_id": me["id"]}),
        (interaction_repository._USER_AND_VENUE, {"user_id": me["id"], "venue_id": bar["id"]}),
        (social_repository._COMPANIONS, {"user_id": me["id"]}),
        (
            social_repository._COMPANIONS_WITH_ENGAGEMENT,
            {"user_id": me["id"], "venue_id": bar["id"], "category": "bar"},
        ),
        (social_repository._PEOPLE_FOR_VENUE, {"user_id": me["id"], "venue_id": bar["id"]}),
        (social_repository._PEOPLE_FOR_VENUE, {"user_id": me["id"], "venue_id": None}),
    ]

    async def both() -> list[tuple[list, list]]:
        psycopg_reader = PsycopgReader(settings)
        session_reader = SessionReader(client.app.state.session_factory)
        await psycopg_reader.open()
        try:
            return [
                (
                    [tuple(row) for row in await psycopg_reader.rows(statement, params)],
                    [tuple(row) for row in await session_reader.rows(statement, params)],
                )
                for statement, params in reads
            ]
        finally:
            await psycopg_reader.close()

    for fast, through_sqlalchemy in asyncio.run(both()):
        assert fast, "every read has rows here"
        # Enum columns come back as their values from psycopg, as enums from SQLAlchemy.
        assert fast == [tuple(_plain(value) for value in row) for row in through_sqlalchemy]


def _plain(value: object) -> object:
    return getattr(value, "value", value)


@postgres_only
def test_a_connection_the_server_closed_is_replaced(client, engine, caplog):
    me = create_user(client, home_lat=40.7, home_lng=-74.0)
    create_venue(client)
    first = client.get(f"/reco/venues/{me['id']}")
    assert first.status_code == 200
    with engine.connect() as conn:  # what a server restart does to the pool's connections
        closed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :name AND datname = current_database()"
            ),
            {"name": APPLICATION_NAME},
        ).scalar_one()
    assert closed >= 1
    caplog.set_level(logging.WARNING, logger="luna.db_reader")
    again = client.get(f"/reco/venues/{me['id']}")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert "hot statement failed, retrying on a new connection" in caplog.messages


def test_an_unreachable_database_is_a_503_with_retry_after():
    # Nothing listens on port 1.
    settings = Settings(database_url="postgresql://postgres@127.0.0.1:1/luna")

    async def read() -> None:
        reader = PsycopgReader(settings, timeout=0.5)
        await reader.open()
        try:
            await reader.rows(interaction_repository._USER_AND_VENUE, {"user_id": None})
        finally:
            await reader.close()

    with pytest.raises(ServiceUnavailable) as refused:
        asyncio.run(read())
    assert refused.value.status_code == 503
    assert refused.value.headers == {"Retry-After": "1"}
