"""Bookings: GET /bookings, /bookings/{id} and /plans/{id}/booking (SPEC §2 Plans and bookings)."""

import uuid

import pytest

from tests.factories import (
    BOOKING_FIELDS,
    assert_error,
    assert_invalid,
    assert_utc,
    create_plan,
    create_user,
    create_venue,
    list_all,
)

# What GET /bookings/ adds to a booking (docs/contract.md): its plan's venue and people.
LIST_ONLY = {"venue_id", "venue_name", "participants"}


def listed(client, **params):
    """GET /bookings/'s bookings without the list-only fields: the bookings themselves."""
    rows = list_all(client, "/bookings/", **params)
    return [{k: v for k, v in row.items() if k not in LIST_ONLY} for row in rows]


@pytest.fixture
def venue(client):
    return create_venue(client)


def confirmed_booking(client, organizer_id, venue_id, participant_ids=None):
    plan = create_plan(client, organizer_id, venue_id, participant_ids)
    response = client.post(f"/plans/{plan['id']}/confirm")
    assert response.status_code == 200, response.text
    return response.json()["booking"]


def test_list_is_empty_without_bookings(client):
    assert client.get("/bookings/").json() == []


def test_list_gives_every_booking_in_creation_order(client, venue):
    organizer = create_user(client)
    made = [confirmed_booking(client, organizer["id"], venue["id"]) for _ in range(3)]

    bookings = list_all(client, "/bookings/")

    assert listed(client) == made
    for booking in bookings:
        assert booking.keys() == BOOKING_FIELDS | LIST_ONLY
        assert (booking["venue_id"], booking["venue_name"]) == (venue["id"], venue["name"])
        assert booking["participants"] == [
            {"user_id": organizer["id"], "handle": organizer["handle"], "status": "accepted"}
        ]
        assert_utc(booking["created_at"])


def test_mock_external_refs_are_unique(client, venue):
    organizer = create_user(client)
    made = [confirmed_booking(client, organizer["id"], venue["id"]) for _ in range(3)]

    assert len({b["external_ref"] for b in made}) == 3


def test_list_filters_by_plan(client, venue):
    organizer = create_user(client)
    wanted = confirmed_booking(client, organizer["id"], venue["id"])
    confirmed_booking(client, organizer["id"], venue["id"])

    assert listed(client, plan_id=wanted["plan_id"]) == [wanted]


def test_list_filters_by_participant(client, venue):
    alice, bob, carol = create_user(client), create_user(client), create_user(client)
    alices = confirmed_booking(client, alice["id"], venue["id"])
    with_bob = confirmed_booking(client, carol["id"], venue["id"], [bob["id"]])

    assert listed(client, user_id=alice["id"]) == [alices]
    assert listed(client, user_id=bob["id"]) == [with_bob]
    assert listed(client, user_id=carol["id"]) == [with_bob]


def test_list_filters_combine(client, venue):
    alice, bob = create_user(client), create_user(client)
    alices = confirmed_booking(client, alice["id"], venue["id"])
    bobs = confirmed_booking(client, bob["id"], venue["id"])

    assert listed(client, plan_id=alices["plan_id"], user_id=alice["id"]) == [alices]
    assert listed(client, plan_id=bobs["plan_id"], user_id=alice["id"]) == []


def test_list_filters_naming_nothing_are_empty(client, venue):
    organizer = create_user(client)
    confirmed_booking(client, organizer["id"], venue["id"])

    assert listed(client, plan_id=str(uuid.uuid4())) == []
    assert listed(client, user_id=str(uuid.uuid4())) == []


def test_list_with_malformed_filter_is_422(client, subtests):
    for name in ["plan_id", "user_id"]:
        with subtests.test(name=name):
            assert_invalid(client.get("/bookings/", params={name: "nope"}), "query", name)


def test_get_booking_by_id(client, venue):
    organizer = create_user(client)
    booking = confirmed_booking(client, organizer["id"], venue["id"])

    response = client.get(f"/bookings/{booking['id']}")

    assert response.status_code == 200
    assert response.json() == booking


def test_get_unknown_booking_is_404(client):
    assert_error(client.get(f"/bookings/{uuid.uuid4()}"), 404, "Booking not found")


def test_get_booking_with_malformed_id_is_422(client):
    assert_invalid(client.get("/bookings/42"), "path", "booking_id")


def test_plan_booking_of_unknown_plan_is_404(client):
    assert_error(client.get(f"/plans/{uuid.uuid4()}/booking"), 404, "Plan not found")


def test_plan_booking_of_unconfirmed_plan_is_404(client, venue):
    plan = create_plan(client, create_user(client)["id"], venue["id"])

    assert_error(client.get(f"/plans/{plan['id']}/booking"), 404, "Booking not found")


def test_cancelled_booking_stays_listed_as_cancelled(client, venue):
    organizer = create_user(client)
    booking = confirmed_booking(client, organizer["id"], venue["id"])
    client.post(f"/plans/{booking['plan_id']}/cancel")

    assert listed(client) == [{**booking, "status": "cancelled"}]
    assert client.get(f"/bookings/{booking['id']}").json()["status"] == "cancelled"
