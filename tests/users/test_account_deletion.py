"""DELETE /users/{id}: the person and everything only about them is gone."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from luna.models import Interaction, Plan, PlanParticipant, SocialEdge
from tests.factories import connect, create_plan, create_user, create_venue, interact


def count(db_session, stmt) -> int:
    db_session.rollback()  # a fresh snapshot
    return db_session.scalar(stmt)


def test_deletion_removes_profile_interactions_edges_and_participations(client, db_session):
    gone, friend = create_user(client), create_user(client)
    venue = create_venue(client)
    interact(client, gone["id"], venue["id"])
    interact(client, friend["id"], venue["id"])
    connect(client, gone["id"], friend["id"])
    connect(client, friend["id"], gone["id"])
    plan = create_plan(client, friend["id"], venue["id"], [gone["id"]])

    response = client.delete(f"/users/{gone['id']}")
    assert response.status_code == 204 and response.content == b""

    assert client.get(f"/users/{gone['id']}").status_code == 404
    assert count(db_session, select(func.count()).select_from(Interaction)) == 1
    assert count(db_session, select(func.count()).select_from(SocialEdge)) == 0
    participants = client.get(f"/plans/{plan['id']}").json()["participants"]
    assert [p["user_id"] for p in participants] == [friend["id"]]
    assert client.delete(f"/users/{gone['id']}").status_code == 404


def test_deleted_person_is_never_recommended(client):
    me, gone = create_user(client), create_user(client)
    connect(client, me["id"], gone["id"], strength=1.0)
    venue = create_venue(client)
    interact(client, gone["id"], venue["id"])
    assert [p["user_id"] for p in client.get(f"/reco/people/{me['id']}").json()] == [gone["id"]]
    client.delete(f"/users/{gone['id']}")
    assert client.get(f"/reco/people/{me['id']}").json() == []
    # Their likes no longer make the venue popular either.
    (venue_reco,) = client.get(f"/reco/venues/{me['id']}").json()
    assert venue_reco["features"]["popularity"] == 0.0


def test_upcoming_plans_they_organize_are_cancelled_with_their_bookings(app, client, db_session):
    organizer, guest = create_user(client), create_user(client)
    venue = create_venue(client)
    booked = create_plan(client, organizer["id"], venue["id"], [guest["id"]])
    confirmed = client.post(f"/plans/{booked['id']}/confirm").json()
    pending = create_plan(client, organizer["id"], venue["id"], [guest["id"]])

    assert client.delete(f"/users/{organizer['id']}").status_code == 204

    for plan in (booked, pending):
        seen = client.get(f"/plans/{plan['id']}").json()
        assert seen["status"] == "cancelled"
        assert seen["organizer_id"] is None
        assert [p["user_id"] for p in seen["participants"]] == [guest["id"]]
    assert client.get(f"/plans/{booked['id']}/booking").json()["status"] == "cancelled"
    mock = app.state.providers.get("mock")
    assert confirmed["booking"]["external_ref"] in mock.cancelled


def test_past_plans_stay_as_they_were(client, db_session):
    organizer, guest = create_user(client), create_user(client)
    venue = create_venue(client)
    plan = create_plan(client, organizer["id"], venue["id"], [guest["id"]])
    client.post(f"/plans/{plan['id']}/confirm")
    with db_session.begin():  # the plan took place yesterday
        db_session.execute(
            update(Plan)
            .where(Plan.id == uuid.UUID(plan["id"]))
            .values(start_time=datetime.now(UTC) - timedelta(days=1))
        )

    client.delete(f"/users/{organizer['id']}")

    seen = client.get(f"/plans/{plan['id']}").json()
    assert seen["status"] == "confirmed" and seen["organizer_id"] is None
    assert client.get(f"/plans/{plan['id']}/booking").json()["status"] == "booked"
    assert count(db_session, select(func.count()).select_from(PlanParticipant)) == 1
