"""Operations: liveness/readiness, metrics, request ids and what the logs may not contain."""

import json
import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.factories import create_user, create_venue, interact


def test_liveness(client):
    assert client.get("/health/live").json() == {"status": "alive"}


def test_ready_when_database_is_at_head(client):
    assert client.get("/health/ready").json() == {
        "status": "ready",
        "database": "ok",
        "migrations": "head",
    }


def test_not_ready_when_migrations_are_behind(client, engine):
    with engine.begin() as conn:
        head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        conn.execute(text("UPDATE alembic_version SET version_num = '92ea349b1489'"))
    try:
        response = client.get("/health/ready")
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
    assert response.status_code == 503
    assert response.json() == {"status": "not ready", "database": "ok", "migrations": "behind"}


def test_request_id_is_returned_and_echoed(client):
    generated = client.get("/health/live").headers["x-request-id"]
    assert len(generated) == 32
    given = "5f0c7bd8-2a5f-4d7a-9b3c-0e6f2d1a4b77"
    assert (
        client.get("/health/live", headers={"X-Request-ID": given}).headers["x-request-id"] == given
    )


def test_metrics_count_requests_per_route_and_bookings(client):
    user = create_user(client)
    client.get(f"/users/{user['id']}")
    body = client.get("/metrics").text
    assert 'http_requests_total{handler="/users/{user_id}",method="GET",status="2xx"}' in body
    assert "http_request_duration_seconds_bucket" in body
    assert "luna_booking_outcomes_total" in body
    assert "luna_booking_queue_depth" in body


def test_access_log_is_json_without_query_strings_or_homes(client, caplog):
    caplog.set_level(logging.INFO, logger="luna.access")
    user = create_user(client, home_lat=40.123456, home_lng=-73.654321)
    venue = create_venue(client)
    interact(client, user["id"], venue["id"])
    client.get("/venues/", params={"near_lat": 40.123456, "near_lng": -73.654321, "radius_km": 5})
    client.get(f"/users/{user['id']}", headers={"Authorization": "Bearer secret-token-value"})
    records = [r for r in caplog.records if r.name == "luna.access"]
    assert {r.route for r in records} >= {"/users/", "/venues/", "/users/{user_id}"}
    rendered = " ".join(json.dumps(vars(r), default=str) for r in records)
    assert "40.123456" not in rendered and "73.654321" not in rendered
    assert "secret-token-value" not in rendered
    assert all(isinstance(r.status, int) and r.duration_ms >= 0 for r in records)


def test_booking_outcomes_are_counted(client):
    from luna.observability.metrics import BOOKING_OUTCOMES

    booked = BOOKING_OUTCOMES.labels("mock", "booked")
    before = booked._value.get()
    organizer, venue = create_user(client), create_venue(client)
    plan = client.post(
        "/plans/",
        json={
            "organizer_id": organizer["id"],
            "venue_id": venue["id"],
            "start_time": "2099-01-01T20:00:00Z",
        },
    ).json()
    client.post(f"/plans/{plan['id']}/confirm")
    client.post(f"/plans/{plan['id']}/confirm")  # the same booking: not a second outcome
    assert booked._value.get() == before + 1
    assert (
        'luna_booking_outcomes_total{outcome="booked",provider="mock"}'
        in client.get("/metrics").text
    )


def test_database_errors_never_carry_bound_values(engine):
    """An error message (which may end up in a log) shows the SQL, not the values."""
    with pytest.raises(DBAPIError) as caught, engine.connect() as conn:
        conn.execute(text("SELECT * FROM no_such_table WHERE home = :home"), {"home": 40.123456})
    assert "40.123456" not in str(caught.value)
    assert "hidden due to hide_parameters" in str(caught.value)


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_library_info_logs_are_quiet_unless_debug(level):
    from luna.config import Settings
    from luna.observability.logging import configure_logging

    try:
        configure_logging(Settings(log_level=level))
        library = logging.getLogger("procrastinate.worker")  # "No periodic task found..."
        assert library.isEnabledFor(logging.WARNING)
        assert library.isEnabledFor(logging.INFO) is (level == "DEBUG")
        assert logging.getLogger("alembic.runtime.migration").isEnabledFor(logging.INFO) is (
            level == "DEBUG"
        )
        # Luna's own lines, the access log among them, and granian's start-up lines stay.
        for ours in ("luna.access", "luna.agent.worker", "_granian"):
            assert logging.getLogger(ours).isEnabledFor(logging.INFO)
    finally:
        configure_logging(Settings())
