"""Transient provider failures are retried with the same idempotency key; rejections end in
booking_failed with a reason; a failed cancel changes nothing."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from luna.config import Settings
from tests.factories import plan_for


@pytest.fixture
def client_with(db_url, app_cache):
    @contextmanager
    def make(**faults) -> Iterator[TestClient]:
        settings = Settings(
            database_url=db_url,
            luna_auth=False,
            luna_write_rate_limit="100000/minute",
            luna_booking_backoff_seconds=0,
            **faults,
        )
        with TestClient(app_cache.app(settings)) as client:
            yield client

    return make


def provider_calls(client, plan_id: str) -> list[str]:
    events = client.get(f"/plans/{plan_id}/events").json()
    return [e["outcome"] for e in events if e["kind"] == "provider_call"]


def test_transient_failures_are_retried_then_booked(client_with):
    with client_with(luna_mock_transient_failures=2, luna_booking_attempts=4) as client:
        plan = plan_for(client)
        response = client.post(f"/plans/{plan['id']}/confirm")
        assert response.status_code == 200
        assert response.json()["status"] == "confirmed"
        assert provider_calls(client, plan["id"]) == [
            "available",
            "unavailable",
            "unavailable",
            "booked",
        ]
        mock = client.app.state.providers.get("mock")
        assert len(mock.booked) == 1


def test_exhausted_retries_fail_the_plan_and_a_later_confirm_books(client_with):
    with client_with(luna_mock_transient_failures=4, luna_booking_attempts=3) as client:
        plan = plan_for(client)
        failed = client.post(f"/plans/{plan['id']}/confirm").json()
        assert failed["status"] == "booking_failed"
        assert failed["booking"]["status"] == "failed"
        assert (
            failed["booking"]["failure_reason"]
            == "The booking provider is unavailable; try again later"
        )
        again = client.post(f"/plans/{plan['id']}/confirm").json()  # attempts 4 (fails), 5 (books)
        assert again["status"] == "confirmed"
        assert again["booking_id"] == failed["booking_id"]
        # The second confirm goes back to the same provider (it may have booked).
        first_confirm = ["available", "unavailable", "unavailable", "unavailable"]
        second_confirm = ["available", "unavailable", "booked"]
        assert provider_calls(client, plan["id"]) == first_confirm + second_confirm
        states = [
            e["to_status"]
            for e in client.get(f"/plans/{plan['id']}/events").json()
            if e["to_status"]
        ]
        assert states == ["pending", "booking", "booking_failed", "booking", "confirmed"]


def test_rejection_ends_in_booking_failed_with_the_reason(client_with):
    with client_with(luna_mock_reject_reason="No tables left at 20:00") as client:
        plan = plan_for(client)
        body = client.post(f"/plans/{plan['id']}/confirm").json()
        assert body["status"] == "booking_failed"
        assert body["booking"]["failure_reason"] == "No tables left at 20:00"
        assert provider_calls(client, plan["id"]) == ["no_availability"]
        assert client.get(f"/plans/{plan['id']}").json()["status"] == "booking_failed"
        cancelled = client.post(f"/plans/{plan['id']}/cancel").json()
        assert cancelled["status"] == "cancelled"


def test_cancel_while_the_provider_is_down_is_a_503_and_changes_nothing(
    client_with, app_cache, db_url
):
    with client_with() as client:
        plan = plan_for(client)
        client.post(f"/plans/{plan['id']}/confirm")
        mock = client.app.state.providers.get("mock")
        mock.transient_failures = 100  # from now on every call fails
        response = client.post(f"/plans/{plan['id']}/cancel")
        assert response.status_code == 503
        assert response.json() == {"detail": "The booking provider is unavailable; try again later"}
        assert client.get(f"/plans/{plan['id']}").json()["status"] == "confirmed"
        assert client.get(f"/plans/{plan['id']}/booking").json()["status"] == "booked"
