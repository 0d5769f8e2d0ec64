"""Plans: create, invite, answer, confirm (the agent books) and cancel (SPEC §2 Plans)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import (
    BOOKING_FIELDS,
    assert_error,
    assert_invalid,
    assert_utc,
    count,
    create_plan,
    create_user,
    create_venue,
    future,
    list_all,
)

PLAN_FIELDS = {
    "id",
    "title",
    "organizer_id",
    "venue_id",
    "start_time",
    "status",
    "participants",
    "created_at",
}
PARTICIPANT_FIELDS = {"plan_id", "user_id", "status", "created_at"}


@pytest.fixture
def organizer(client):
    return create_user(client)


@pytest.fixture
def venue(client):
    return create_venue(client)


@pytest.fixture
def plan(client, organizer, venue):
    return create_plan(client, organizer["id"], venue["id"])


def post_plan(client, organizer, venue, **fields):
    body = {"organizer_id": organizer["id"], "venue_id": venue["id"], "start_time": future()}
    return client.post("/plans/", json={**body, **fields})


def statuses(plan):
    return {p["user_id"]: p["status"] for p in plan["participants"]}


def get_plan(client, plan):
    response = client.get(f"/plans/{plan['id']}")
    assert response.status_code == 200, response.text
    return response.json()


# --- create ---------------------------------------------------------------------------------


def test_create_returns_a_pending_plan(client, organizer, venue):
    start = future(hours=5)

    response = post_plan(client, organizer, venue, start_time=start, title="Drinks")

    assert response.status_code == 201
    plan = response.json()
    assert plan.keys() == PLAN_FIELDS
    assert plan["status"] == "pending"
    assert plan["title"] == "Drinks"
    assert (plan["organizer_id"], plan["venue_id"]) == (organizer["id"], venue["id"])
    assert assert_utc(plan["start_time"]) == datetime.fromisoformat(start)
    assert_utc(plan["created_at"])
    assert get_plan(client, plan) == plan


def test_organizer_is_accepted_and_invitees_are_invited(client, organizer, venue):
    guests = [create_user(client), create_user(client)]

    ids = [g["id"] for g in guests]
    plan = post_plan(client, organizer, venue, participant_ids=ids).json()

    assert plan["participants"][0] == {"user_id": organizer["id"], "status": "accepted"}
    assert statuses(plan) == {organizer["id"]: "accepted", ids[0]: "invited", ids[1]: "invited"}


def test_duplicate_invitees_and_the_organizer_are_listed_once(client, organizer, venue):
    # The code's choice: duplicates and the organizer in participant_ids are ignored.
    guest = create_user(client)

    ids = [guest["id"], guest["id"], organizer["id"]]
    plan = post_plan(client, organizer, venue, participant_ids=ids).json()

    assert statuses(plan) == {organizer["id"]: "accepted", guest["id"]: "invited"}
    assert len(plan["participants"]) == 2


def test_title_is_optional(client, organizer, venue):
    assert post_plan(client, organizer, venue).json()["title"] is None


def test_title_of_200_characters_is_accepted(client, organizer, venue):
    assert post_plan(client, organizer, venue, title="t" * 200).json()["title"] == "t" * 200


def test_title_empty_or_too_long_is_rejected(client, subtests, organizer, venue):
    # The code's choice (SPEC is silent): a title follows the 1-200 rule of names.
    for title in ["", "t" * 201]:
        with subtests.test(title=title):
            assert_invalid(post_plan(client, organizer, venue, title=title), "body", "title")
            assert count(client, "/plans/") == 0


def test_naive_start_time_is_taken_as_utc(client, organizer, venue):
    plan = post_plan(client, organizer, venue, start_time="2999-06-01T18:00:00").json()

    assert plan["start_time"] == "2999-06-01T18:00:00+00:00"


def test_start_time_in_the_past_is_422(client, subtests, organizer, venue):
    for start_time in [
        (datetime.now(UTC) - timedelta(seconds=5)).isoformat(),
        "2001-01-01T00:00:00Z",
        "2001-01-01T00:00:00",
    ]:
        with subtests.test(start_time=start_time):
            response = post_plan(client, organizer, venue, start_time=start_time)

            assert_invalid(response, "body", "start_time")
            assert count(client, "/plans/") == 0


def test_organizer_venue_and_start_time_are_required(client, subtests, organizer, venue):
    for missing in ["organizer_id", "venue_id", "start_time"]:
        with subtests.test(missing=missing):
            body = {
                "organizer_id": organizer["id"],
                "venue_id": venue["id"],
                "start_time": future(),
            }
            del body[missing]

            assert_invalid(client.post("/plans/", json=body), "body", missing)
            assert count(client, "/plans/") == 0


def test_unknown_organizer_is_404(client, venue):
    response = post_plan(client, {"id": str(uuid.uuid4())}, venue)

    assert_error(response, 404, "User not found")
    assert count(client, "/plans/") == 0


def test_unknown_venue_is_404(client, organizer):
    response = post_plan(client, organizer, {"id": str(uuid.uuid4())})

    assert_error(response, 404, "Venue not found")
    assert count(client, "/plans/") == 0


def test_unknown_participant_is_404(client, organizer, venue):
    guest = create_user(client)

    ids = [guest["id"], str(uuid.uuid4())]
    response = post_plan(client, organizer, venue, participant_ids=ids)

    assert_error(response, 404, "User not found")
    assert count(client, "/plans/") == 0


def test_malformed_participant_id_is_422_naming_its_index(client, organizer, venue):
    response = post_plan(client, organizer, venue, participant_ids=[str(uuid.uuid4()), "x"])

    assert_invalid(response, "body", "participant_ids", 1)


# --- read -----------------------------------------------------------------------------------


def test_get_unknown_plan_is_404(client):
    assert_error(client.get(f"/plans/{uuid.uuid4()}"), 404, "Plan not found")


def test_list_by_user_gives_plans_they_organize_or_take_part_in(client, organizer, venue):
    guest, stranger = create_user(client), create_user(client)
    organized = create_plan(client, organizer["id"], venue["id"])
    invited = create_plan(client, stranger["id"], venue["id"], [organizer["id"], guest["id"]])
    create_plan(client, stranger["id"], venue["id"], [guest["id"]])

    mine = list_all(client, "/plans/", user_id=organizer["id"])

    # The list's plans are the plans, plus the venue's name and the participants' handles.
    assert [as_plan(p) for p in mine] == [get_plan(client, organized), get_plan(client, invited)]
    assert {p["venue_name"] for p in mine} == {venue["name"]}
    assert {p["handle"] for p in mine[0]["participants"]} == {organizer["handle"]}


def as_plan(summary: dict) -> dict:
    """A plan of GET /plans/ without its list-only fields: GET /plans/{id}'s body."""
    participants = [{k: v for k, v in p.items() if k != "handle"} for p in summary["participants"]]
    return {
        **{k: v for k, v in summary.items() if k != "venue_name"},
        "participants": participants,
    }


def test_list_by_user_includes_plans_joined_later(client, organizer, plan):
    guest = create_user(client)
    client.post(f"/plans/{plan['id']}/participants", json={"user_id": guest["id"]})

    assert [p["id"] for p in list_all(client, "/plans/", user_id=guest["id"])] == [plan["id"]]


def test_list_by_unknown_user_is_empty(client, plan):
    # The code's choice: a filter naming nobody matches nothing (not a 404).
    assert list_all(client, "/plans/", user_id=str(uuid.uuid4())) == []


def test_list_without_filter_gives_every_plan_in_creation_order(client, organizer, venue):
    made = [create_plan(client, organizer["id"], venue["id"]) for _ in range(3)]

    assert [as_plan(p) for p in list_all(client, "/plans/")] == made


def test_list_with_malformed_user_id_is_422(client):
    assert_invalid(client.get("/plans/", params={"user_id": "me"}), "query", "user_id")


# --- participants ---------------------------------------------------------------------------


def test_invite_adds_an_invited_participant(client, plan):
    guest = create_user(client)

    response = client.post(f"/plans/{plan['id']}/participants", json={"user_id": guest["id"]})

    assert response.status_code == 201
    body = response.json()
    assert body.keys() == PARTICIPANT_FIELDS
    assert (body["plan_id"], body["user_id"], body["status"]) == (
        plan["id"],
        guest["id"],
        "invited",
    )
    assert_utc(body["created_at"])
    assert statuses(get_plan(client, plan))[guest["id"]] == "invited"


def test_invite_someone_already_there_is_409(client, organizer, venue):
    guest = create_user(client)
    plan = create_plan(client, organizer["id"], venue["id"], [guest["id"]])

    response = client.post(f"/plans/{plan['id']}/participants", json={"user_id": guest["id"]})

    assert_error(response, 409, "User is already a participant")
    assert get_plan(client, plan) == plan


def test_invite_the_organizer_is_409(client, organizer, plan):
    response = client.post(f"/plans/{plan['id']}/participants", json={"user_id": organizer["id"]})

    assert_error(response, 409, "User is already a participant")
    assert get_plan(client, plan) == plan


def test_invite_unknown_user_is_404(client, plan):
    response = client.post(f"/plans/{plan['id']}/participants", json={"user_id": str(uuid.uuid4())})

    assert_error(response, 404, "User not found")
    assert get_plan(client, plan) == plan


def test_invite_to_unknown_plan_is_404(client, organizer):
    response = client.post(f"/plans/{uuid.uuid4()}/participants", json={"user_id": organizer["id"]})

    assert_error(response, 404, "Plan not found")


def test_invite_to_cancelled_plan_is_409(client, plan):
    client.post(f"/plans/{plan['id']}/cancel")
    guest = create_user(client)

    response = client.post(f"/plans/{plan['id']}/participants", json={"user_id": guest["id"]})

    assert_error(response, 409, "Plan is cancelled")
    assert guest["id"] not in statuses(get_plan(client, plan))


@pytest.mark.parametrize("answer", ["accepted", "declined"])
def test_participant_answers_the_invitation(client, organizer, venue, answer):
    guest = create_user(client)
    plan = create_plan(client, organizer["id"], venue["id"], [guest["id"]])

    url = f"/plans/{plan['id']}/participants/{guest['id']}"
    response = client.patch(url, json={"status": answer})

    assert response.status_code == 200
    body = response.json()
    assert body.keys() == PARTICIPANT_FIELDS
    assert (body["plan_id"], body["user_id"], body["status"]) == (plan["id"], guest["id"], answer)
    assert statuses(get_plan(client, plan))[guest["id"]] == answer


def test_participant_may_change_their_answer(client, organizer, venue):
    guest = create_user(client)
    plan = create_plan(client, organizer["id"], venue["id"], [guest["id"]])
    url = f"/plans/{plan['id']}/participants/{guest['id']}"
    client.patch(url, json={"status": "accepted"})

    assert client.patch(url, json={"status": "declined"}).json()["status"] == "declined"


def test_answer_other_than_accepted_or_declined_is_422(client, subtests, organizer, venue):
    guest = create_user(client)
    plan = create_plan(client, organizer["id"], venue["id"], [guest["id"]])
    url = f"/plans/{plan['id']}/participants/{guest['id']}"
    for answer in ["invited", "maybe", "ACCEPTED", None]:
        with subtests.test(answer=answer):
            assert_invalid(client.patch(url, json={"status": answer}), "body", "status")
            assert get_plan(client, plan) == plan


def test_answer_by_a_non_participant_is_404(client, plan):
    stranger = create_user(client)

    url = f"/plans/{plan['id']}/participants/{stranger['id']}"
    response = client.patch(url, json={"status": "accepted"})

    assert_error(response, 404, "Participant not found")
    assert get_plan(client, plan) == plan


def test_answer_on_unknown_plan_is_404(client, organizer):
    url = f"/plans/{uuid.uuid4()}/participants/{organizer['id']}"

    assert_error(client.patch(url, json={"status": "accepted"}), 404, "Plan not found")


def test_answer_on_cancelled_plan_is_409(client, organizer, venue):
    guest = create_user(client)
    plan = create_plan(client, organizer["id"], venue["id"], [guest["id"]])
    cancelled = client.post(f"/plans/{plan['id']}/cancel").json()

    url = f"/plans/{plan['id']}/participants/{guest['id']}"
    response = client.patch(url, json={"status": "accepted"})

    assert_error(response, 409, "Plan is cancelled")
    assert get_plan(client, plan) == cancelled


# --- confirm and cancel ---------------------------------------------------------------------


def test_confirm_books_the_plan(client, plan):
    response = client.post(f"/plans/{plan['id']}/confirm")

    assert response.status_code == 200
    body = response.json()
    assert body.keys() == {"plan_id", "booking_id", "status", "booking"}
    assert (body["plan_id"], body["status"]) == (plan["id"], "confirmed")
    booking = body["booking"]
    assert booking.keys() == BOOKING_FIELDS
    assert booking["id"] == body["booking_id"]
    assert (booking["plan_id"], booking["status"], booking["provider"]) == (
        plan["id"],
        "booked",
        "mock",
    )
    assert booking["external_ref"]
    assert_utc(booking["created_at"])
    assert get_plan(client, plan)["status"] == "confirmed"
    assert client.get(f"/plans/{plan['id']}/booking").json() == booking


def test_party_size_counts_accepted_participants(client, organizer, venue):
    yes, no, silent = create_user(client), create_user(client), create_user(client)
    plan = create_plan(client, organizer["id"], venue["id"], [yes["id"], no["id"], silent["id"]])
    client.patch(f"/plans/{plan['id']}/participants/{yes['id']}", json={"status": "accepted"})
    client.patch(f"/plans/{plan['id']}/participants/{no['id']}", json={"status": "declined"})

    booking = client.post(f"/plans/{plan['id']}/confirm").json()["booking"]

    assert booking["party_size"] == 2


def test_confirm_again_returns_the_same_booking(client, plan):
    first = client.post(f"/plans/{plan['id']}/confirm").json()

    second = client.post(f"/plans/{plan['id']}/confirm")

    assert second.status_code == 200
    assert second.json() == first
    assert len(list_all(client, "/bookings/", plan_id=plan["id"])) == 1


def test_confirm_unknown_plan_is_404(client):
    assert_error(client.post(f"/plans/{uuid.uuid4()}/confirm"), 404, "Plan not found")
    assert count(client, "/bookings/") == 0


def test_cancel_a_confirmed_plan_cancels_its_booking(client, plan):
    booking_id = client.post(f"/plans/{plan['id']}/confirm").json()["booking_id"]

    response = client.post(f"/plans/{plan['id']}/cancel")

    assert response.status_code == 200
    assert response.json() == {**plan, "status": "cancelled"}
    assert get_plan(client, plan)["status"] == "cancelled"
    booking = client.get(f"/plans/{plan['id']}/booking").json()
    assert (booking["id"], booking["status"]) == (booking_id, "cancelled")


def test_cancel_a_pending_plan_makes_no_booking(client, plan):
    assert client.post(f"/plans/{plan['id']}/cancel").json()["status"] == "cancelled"

    assert_error(client.get(f"/plans/{plan['id']}/booking"), 404, "Booking not found")


def test_cancel_twice_is_harmless(client, plan):
    # The code's choice: cancelling a cancelled plan answers 200 with the plan.
    first = client.post(f"/plans/{plan['id']}/cancel").json()

    second = client.post(f"/plans/{plan['id']}/cancel")

    assert second.status_code == 200
    assert second.json() == first


def test_confirm_a_cancelled_plan_is_409(client, plan):
    client.post(f"/plans/{plan['id']}/confirm")
    client.post(f"/plans/{plan['id']}/cancel")

    response = client.post(f"/plans/{plan['id']}/confirm")

    assert_error(response, 409, "Plan is cancelled")
    assert get_plan(client, plan)["status"] == "cancelled"
    assert client.get(f"/plans/{plan['id']}/booking").json()["status"] == "cancelled"


def test_confirm_a_plan_cancelled_before_booking_is_409_and_books_nothing(client, plan):
    client.post(f"/plans/{plan['id']}/cancel")

    assert_error(client.post(f"/plans/{plan['id']}/confirm"), 409, "Plan is cancelled")
    assert count(client, "/bookings/") == 0


def test_cancel_unknown_plan_is_404(client):
    assert_error(client.post(f"/plans/{uuid.uuid4()}/cancel"), 404, "Plan not found")
