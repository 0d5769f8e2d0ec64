"""The `http` provider against a fake partner on a loopback port: retries, rejections, a
lost answer after booking, and cancellation."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from luna.config import Settings
from tests.factories import create_plan, create_user, create_venue
from tests.live import serve_in_thread
from tests.partner import PartnerState, partner_app


@pytest.fixture
def partner() -> Iterator[tuple[PartnerState, str]]:
    state = PartnerState()
    with serve_in_thread(partner_app(state)) as url:
        yield state, url


@pytest.fixture
def luna(db_url, app_cache, partner):
    _state, url = partner

    @contextmanager
    def make(**overrides) -> Iterator[TestClient]:
        fields = {
            "database_url": db_url,
            "luna_auth": False,
            "luna_write_rate_limit": "100000/minute",
            "luna_default_provider": "http",
            "luna_http_provider_url": url,
            "luna_http_provider_timeout_seconds": 0.5,
            "luna_booking_backoff_seconds": 0,
        }
        settings = Settings(**(fields | overrides))
        with TestClient(app_cache.app(settings)) as client:
            yield client

    return make


def confirmed_plan(client) -> tuple[dict, dict]:
    organizer, venue = create_user(client), create_venue(client)
    plan = create_plan(client, organizer["id"], venue["id"])
    return plan, client.post(f"/plans/{plan['id']}/confirm").json()


def test_partner_500s_are_retried_then_booked(luna, partner):
    state, _ = partner
    state.fail_next = 2
    with luna() as client:
        _plan, result = confirmed_plan(client)
    assert result["status"] == "confirmed"
    assert result["booking"]["provider"] == "http"
    assert list(state.bookings) == [result["booking"]["external_ref"]]
    # Two 500s on the availability question, then one booking call.
    assert state.calls.count("GET /availability") == 3
    assert state.calls.count("POST /bookings") == 1


def test_no_availability_ends_in_booking_failed_with_its_reason(luna, partner):
    state, _ = partner
    state.reject_reason = "Closed for a private event"
    with luna() as client:
        _plan, result = confirmed_plan(client)
    assert result["status"] == "booking_failed"
    assert result["booking"]["failure_reason"] == "Closed for a private event"
    assert state.bookings == {}
    assert state.calls.count("POST /bookings") == 0


def test_refused_booking_is_not_retried(luna, partner):
    state, _ = partner
    state.refuse_at_booking = "Party too large"
    with luna() as client:
        _plan, result = confirmed_plan(client)
    assert result["status"] == "booking_failed"
    assert result["booking"]["failure_reason"] == "Party too large"
    assert state.calls.count("POST /bookings") == 1


def test_next_provider_books_when_the_first_has_no_availability(luna, partner):
    state, _ = partner
    state.reject_reason = "Fully booked"
    with luna(luna_fallback_providers=["mock"]) as client:
        plan, result = confirmed_plan(client)
        events = client.get(f"/plans/{plan['id']}/events").json()
    assert result["status"] == "confirmed"
    assert result["booking"]["provider"] == "mock"
    assert state.bookings == {}
    calls = [e["detail"] for e in events if e["kind"] == "provider_call"]
    assert calls[0] == "http availability: Fully booked"
    assert calls[1] == "mock availability"
    assert calls[2].startswith("mock book: mock-")


def test_a_possibly_made_booking_is_never_followed_by_another_provider(luna, partner):
    state, _ = partner
    state.lose_answers_after_booking = 1
    fallback = {
        "luna_fallback_providers": ["mock"],
        "luna_http_provider_timeout_seconds": 0.3,
        "luna_booking_attempts": 1,
    }
    with luna(**fallback) as client:
        plan, result = confirmed_plan(client)
        assert result["status"] == "booking_failed"  # the answer was lost: maybe booked
        mock = client.app.state.providers.get("mock")
        assert mock.booked == {}  # no second provider was asked
        again = client.post(f"/plans/{plan['id']}/confirm").json()
    assert again["status"] == "confirmed"
    assert again["booking"]["provider"] == "http"
    assert len(state.bookings) == 1  # the retry found the booking the partner had made


def test_lost_answer_after_booking_gives_one_booking_not_two(luna, partner):
    state, _ = partner
    state.lose_answers_after_booking = 1
    with luna() as client:
        plan, result = confirmed_plan(client)
        events = client.get(f"/plans/{plan['id']}/events").json()
    assert result["status"] == "confirmed"
    assert len(state.bookings) == 1
    assert result["booking"]["external_ref"] in state.bookings
    outcomes = [e["outcome"] for e in events if e["kind"] == "provider_call"]
    assert outcomes == ["available", "unavailable", "booked"]


def test_cancellation_reaches_the_partner(luna, partner):
    state, _ = partner
    with luna() as client:
        plan, result = confirmed_plan(client)
        assert client.post(f"/plans/{plan['id']}/cancel").json()["status"] == "cancelled"
    assert state.bookings[result["booking"]["external_ref"]]["status"] == "cancelled"
