"""GET /plans/ and GET /bookings/ carry the venue's name and the participants' handles, read
with a constant number of SQL statements however many rows the page has."""

from tests.factories import BOOKING_FIELDS, create_plan, create_user, create_venue, list_all
from tests.reco.test_statement_count import count_statements


def make_plans(client, n: int, guests_each: int = 2) -> list[dict]:
    """`n` plans, each at its own venue with its own organizer and guests, confirmed (booked)."""
    plans = []
    for _ in range(n):
        organizer = create_user(client)
        guests = [create_user(client) for _ in range(guests_each)]
        venue = create_venue(client)
        plan = create_plan(client, organizer["id"], venue["id"], [g["id"] for g in guests])
        response = client.post(f"/plans/{plan['id']}/confirm")
        assert response.status_code == 200, response.text
        plans.append(
            {
                "id": plan["id"],
                "venue_name": venue["name"],
                "handles": {u["id"]: u["handle"] for u in [organizer, *guests]},
            }
        )
    return plans


def statements_for(client, engine, url: str) -> tuple[int, list[dict]]:
    with count_statements(engine) as statements:
        rows = list_all(client, url)
    return len(statements), rows


def test_plan_list_names_the_venue_and_the_participants(client):
    (made,) = make_plans(client, 1)
    (plan,) = list_all(client, "/plans/")

    assert plan["id"] == made["id"]
    assert plan["venue_name"] == made["venue_name"]
    assert {p["user_id"]: p["handle"] for p in plan["participants"]} == made["handles"]
    assert all(p.keys() == {"user_id", "status", "handle"} for p in plan["participants"])
    # The single plan's route keeps its shape.
    assert "venue_name" not in client.get(f"/plans/{made['id']}").json()


def test_booking_list_names_the_venue_and_the_participants(client):
    (made,) = make_plans(client, 1)
    (booking,) = list_all(client, "/bookings/")

    assert booking.keys() == BOOKING_FIELDS | {"venue_id", "venue_name", "participants"}
    assert booking["plan_id"] == made["id"]
    assert booking["venue_name"] == made["venue_name"]
    assert {p["user_id"]: p["handle"] for p in booking["participants"]} == made["handles"]
    assert {p["status"] for p in booking["participants"]} == {"accepted", "invited"}
    plan = client.get(f"/plans/{made['id']}").json()
    assert booking["venue_id"] == plan["venue_id"]


def test_lists_run_the_same_statements_for_2_and_12_rows(client, engine):
    make_plans(client, 2)
    small_plans, plans = statements_for(client, engine, "/plans/")
    small_bookings, bookings = statements_for(client, engine, "/bookings/")
    assert len(plans) == len(bookings) == 2

    make_plans(client, 10, guests_each=3)
    big_plans, plans = statements_for(client, engine, "/plans/")
    big_bookings, bookings = statements_for(client, engine, "/bookings/")
    assert len(plans) == len(bookings) == 12
    assert all(p["venue_name"] and len(p["participants"]) >= 3 for p in plans)
    assert all(b["venue_name"] and len(b["participants"]) >= 3 for b in bookings)

    assert (small_plans, small_bookings) == (big_plans, big_bookings)
    # The rows with their venue's name, the participants with their handles (and SQLite's
    # BEGIN).
    assert big_plans <= 3 and big_bookings <= 3
