"""Plan lifecycle: enforced transitions, confirm preconditions, the events timeline and
idempotent creates."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from luna.models import Plan
from tests.factories import create_plan, create_user, create_venue, future


def make_plan(client):
    organizer, guest = create_user(client), create_user(client)
    venue = create_venue(client)
    return create_plan(client, organizer["id"], venue["id"], [guest["id"]]), organizer, guest, venue


def timeline(client, plan_id: str) -> list[tuple]:
    events = client.get(f"/plans/{plan_id}/events").json()
    return [(e["kind"], e["from_status"], e["to_status"], e["outcome"]) for e in events]


def test_timeline_records_every_transition_and_provider_call(client):
    plan, *_ = make_plan(client)
    client.post(f"/plans/{plan['id']}/confirm")
    client.post(f"/plans/{plan['id']}/confirm")  # the same booking: nothing new happens
    client.post(f"/plans/{plan['id']}/cancel")
    client.post(f"/plans/{plan['id']}/cancel")  # harmless, nothing recorded
    assert timeline(client, plan["id"]) == [
        ("transition", None, "pending", "ok"),
        ("transition", "pending", "booking", "ok"),
        ("provider_call", None, None, "available"),
        ("provider_call", None, None, "booked"),
        ("transition", "booking", "confirmed", "ok"),
        ("transition", "confirmed", "cancelled", "ok"),
        ("provider_call", None, None, "cancelled"),
    ]
    events = client.get(f"/plans/{plan['id']}/events").json()
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    assert events[2]["detail"] == "mock availability"
    assert events[3]["detail"].startswith("mock book: mock-")
    assert all(e["created_at"].endswith("+00:00") for e in events)


def test_events_of_an_unknown_plan_are_404(client):
    response = client.get(f"/plans/{uuid.uuid4()}/events")
    assert response.status_code == 404
    assert response.json() == {"detail": "Plan not found"}


def test_confirm_after_the_start_time_is_a_conflict(client, db_session):
    plan, *_ = make_plan(client)
    with db_session.begin():
        db_session.execute(
            update(Plan)
            .where(Plan.id == uuid.UUID(plan["id"]))
            .values(start_time=datetime.now(UTC) - timedelta(minutes=1))
        )
    response = client.post(f"/plans/{plan['id']}/confirm")
    assert response.status_code == 409
    assert response.json() == {"detail": "Plan is pending and has already started"}
    assert client.get(f"/plans/{plan['id']}").json()["status"] == "pending"
    assert client.get(f"/plans/{plan['id']}/booking").status_code == 404


def test_confirm_needs_the_organizer_to_have_accepted(client):
    plan, organizer, *_ = make_plan(client)
    client.patch(f"/plans/{plan['id']}/participants/{organizer['id']}", json={"status": "declined"})
    response = client.post(f"/plans/{plan['id']}/confirm")
    assert response.status_code == 409
    assert response.json() == {"detail": "Plan is pending: the organizer has not accepted it"}
    assert [e[2] for e in timeline(client, plan["id"])] == ["pending"]


def test_idempotent_create_returns_the_first_plan(client):
    organizer, venue = create_user(client), create_venue(client)
    body = {"organizer_id": organizer["id"], "venue_id": venue["id"], "start_time": future()}
    headers = {"Idempotency-Key": "retry-me-123"}
    first = client.post("/plans/", json=body, headers=headers)
    again = client.post("/plans/", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert len(client.get("/plans/").json()) == 1


def test_idempotency_key_with_another_body_is_a_conflict(client):
    organizer, venue = create_user(client), create_venue(client)
    body = {"organizer_id": organizer["id"], "venue_id": venue["id"], "start_time": future()}
    client.post("/plans/", json=body, headers={"Idempotency-Key": "k1"})
    response = client.post(
        "/plans/", json=body | {"title": "other"}, headers={"Idempotency-Key": "k1"}
    )
    assert response.status_code == 409
    assert response.json() == {"detail": "Idempotency-Key was already used with another request"}
    assert len(client.get("/plans/").json()) == 1


def test_without_a_key_every_create_is_a_new_plan(client):
    organizer, venue = create_user(client), create_venue(client)
    body = {"organizer_id": organizer["id"], "venue_id": venue["id"], "start_time": future()}
    client.post("/plans/", json=body)
    client.post("/plans/", json=body)
    assert len(client.get("/plans/").json()) == 2


def test_keys_are_per_organizer(client):
    venue = create_venue(client)
    for _ in range(2):
        organizer = create_user(client)
        body = {"organizer_id": organizer["id"], "venue_id": venue["id"], "start_time": future()}
        assert (
            client.post("/plans/", json=body, headers={"Idempotency-Key": "same"}).status_code
            == 201
        )
    assert len(client.get("/plans/").json()) == 2


def test_malformed_idempotency_key_is_a_422(client):
    organizer, venue = create_user(client), create_venue(client)
    body = {"organizer_id": organizer["id"], "venue_id": venue["id"], "start_time": future()}
    response = client.post("/plans/", json=body, headers={"Idempotency-Key": "x" * 256})
    assert response.status_code == 422
    assert client.get("/plans/").json() == []
