"""The one way to the database: a connection the server dropped is replaced without the
client noticing, and a database that cannot be reached is a prompt 503 with Retry-After."""

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from luna.app import create_app
from luna.config import Settings
from luna.db import APPLICATION_NAME
from luna.reco import service as reco_service
from tests.factories import create_user, create_venue

postgres_only = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


@postgres_only
def test_a_connection_the_server_closed_is_replaced(client, engine):
    me = create_user(client, home_lat=40.7, home_lng=-74.0)
    create_venue(client)
    first = client.get(f"/reco/venues/{me['id']}")
    assert first.status_code == 200
    with engine.connect() as conn:  # what a server restart does to the pool's connections
        closed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :name AND datname = current_database() "
                "AND pid <> pg_backend_pid()"
            ),
            {"name": APPLICATION_NAME},
        ).scalar_one()
    assert closed >= 1
    for path in (f"/reco/venues/{me['id']}", f"/reco/people/{me['id']}", f"/users/{me['id']}"):
        again = client.get(path)
        assert again.status_code == 200, (path, again.text)
    assert client.get(f"/reco/venues/{me['id']}").json() == first.json()


@pytest.mark.parametrize("path", ["/reco/venues/{id}", "/reco/people/{id}", "/users/{id}"])
def test_an_unreachable_database_is_a_prompt_503_with_retry_after(path):
    # Nothing listens on port 1: every connection is refused.
    settings = Settings(database_url="postgresql://postgres@127.0.0.1:1/luna", luna_auth=False)
    client = TestClient(create_app(settings))  # no lifespan: nothing loads in the background
    started = time.perf_counter()
    response = client.get(path.format(id="00000000-0000-4000-8000-000000000001"))
    assert time.perf_counter() - started < 1.0
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json()["detail"]


def test_the_hot_routes_run_on_their_own_threads(settings, monkeypatch):
    """LUNA_HOT_ROUTE_THREADS bounds the hot routes' work; other routes keep anyio's pool."""
    settings = settings.model_copy(update={"luna_hot_route_threads": 3})
    app = create_app(settings)
    limiter = app.state.hot_route_threads
    borrowed = []

    def recommend(*args, **kwargs):
        borrowed.append(limiter.borrowed_tokens)
        return []

    monkeypatch.setattr(reco_service, "recommend_venues", recommend)
    with TestClient(app) as client:
        me = create_user(client, home_lat=40.7, home_lng=-74.0)
        assert client.get(f"/reco/venues/{me['id']}").json() == []
    assert limiter.total_tokens == 3
    assert borrowed == [1]
