"""Interactions: logging one, the batch and a user's history (SPEC §2 Interactions)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from luna.models import Interaction
from tests.factories import (
    assert_error,
    assert_invalid,
    assert_utc,
    create_user,
    create_venue,
    interact,
    list_all,
)

INTERACTION_FIELDS = {
    "id",
    "user_id",
    "venue_id",
    "interaction_type",
    "dwell_time_seconds",
    "occurred_at",
    "created_at",
}


@pytest.fixture
def user(client):
    return create_user(client)


@pytest.fixture
def venue(client):
    return create_venue(client)


def log(client, user, venue, **fields):
    body = {"user_id": user["id"], "interaction_type": "like", **fields}
    return client.post(f"/venues/{venue['id']}/interactions", json=body)


def history(client, user):
    return list_all(client, f"/users/{user['id']}/interactions")


def item(user, venue, **fields):
    return {"user_id": user["id"], "venue_id": venue["id"], "interaction_type": "view", **fields}


# --- one interaction ------------------------------------------------------------------------


def test_log_returns_the_interaction(client, user, venue):
    response = log(client, user, venue, interaction_type="interest", dwell_time_seconds=42)

    assert response.status_code == 201
    body = response.json()
    assert body.keys() == INTERACTION_FIELDS
    assert (body["user_id"], body["venue_id"]) == (user["id"], venue["id"])
    assert (body["interaction_type"], body["dwell_time_seconds"]) == ("interest", 42)
    assert_utc(body["created_at"])
    assert history(client, user) == [body]


def test_each_interaction_type_is_accepted(client, subtests, user, venue):
    for kind in ["view", "interest", "like"]:
        with subtests.test(kind=kind):
            response = log(client, user, venue, interaction_type=kind)

            assert response.json()["interaction_type"] == kind


def test_other_interaction_types_are_rejected(client, subtests, user, venue):
    for kind in ["dislike", "LIKE", "", None, 1]:
        with subtests.test(kind=kind):
            response = log(client, user, venue, interaction_type=kind)

            assert_invalid(response, "body", "interaction_type")
            assert history(client, user) == []


def test_dwell_time_defaults_to_zero(client, user, venue):
    assert log(client, user, venue).json()["dwell_time_seconds"] == 0


def test_dwell_time_within_bounds_is_accepted(client, subtests, user, venue):
    for dwell in [0, 86400]:
        with subtests.test(dwell=dwell):
            response = log(client, user, venue, dwell_time_seconds=dwell)

            assert response.json()["dwell_time_seconds"] == dwell


def test_dwell_time_out_of_bounds_is_rejected(client, subtests, user, venue):
    for dwell in [-1, 86401, 1.5, None]:
        with subtests.test(dwell=dwell):
            response = log(client, user, venue, dwell_time_seconds=dwell)

            assert_invalid(response, "body", "dwell_time_seconds")
            assert history(client, user) == []


def test_occurred_at_defaults_to_now(client, user, venue):
    before = datetime.now(UTC)
    occurred = assert_utc(log(client, user, venue).json()["occurred_at"])
    after = datetime.now(UTC)

    assert before - timedelta(seconds=1) <= occurred <= after + timedelta(seconds=1)


def test_naive_occurred_at_is_taken_as_utc(client, user, venue):
    body = log(client, user, venue, occurred_at="2025-03-01T12:30:00").json()

    assert assert_utc(body["occurred_at"]) == datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
    assert history(client, user)[0]["occurred_at"] == body["occurred_at"]


def test_occurred_at_with_an_offset_is_returned_in_utc(client, user, venue):
    body = log(client, user, venue, occurred_at="2025-03-01T07:30:00-05:00").json()

    assert assert_utc(body["occurred_at"]) == datetime(2025, 3, 1, 12, 30, tzinfo=UTC)


def test_unknown_user_is_404(client, venue, db_session):
    response = log(client, {"id": str(uuid.uuid4())}, venue)

    assert_error(response, 404, "User not found")
    assert db_session.scalar(select(func.count()).select_from(Interaction)) == 0


def test_unknown_venue_is_404(client, user):
    response = log(client, user, {"id": str(uuid.uuid4())})

    assert_error(response, 404, "Venue not found")
    assert history(client, user) == []


def test_missing_or_malformed_user_id_is_422(client, subtests, venue, db_session):
    for user_id in [None, "not-a-uuid", 42]:
        with subtests.test(user_id=user_id):
            body = {"user_id": user_id, "interaction_type": "like"}

            response = client.post(f"/venues/{venue['id']}/interactions", json=body)

            assert_invalid(response, "body", "user_id")
    assert db_session.scalar(select(func.count()).select_from(Interaction)) == 0


def test_old_interact_route_logs_the_same_way(client, user, venue):
    body = {"user_id": user["id"], "interaction_type": "view", "dwell_time_seconds": 5}

    response = client.post(f"/venues/{venue['id']}/interact", json=body)

    assert response.status_code == 201
    assert response.json().keys() == INTERACTION_FIELDS
    assert history(client, user) == [response.json()]


def test_old_interact_route_validates_the_same_way(client, user, venue):
    body = {"user_id": user["id"], "interaction_type": "view", "dwell_time_seconds": 86401}

    assert_invalid(client.post(f"/venues/{venue['id']}/interact", json=body), "body")
    assert history(client, user) == []


# --- a user's history -----------------------------------------------------------------------


def test_history_is_newest_occurred_at_first(client, user, venue):
    middle = interact(client, user["id"], venue["id"], occurred_at="2025-01-02T00:00:00Z")
    oldest = interact(client, user["id"], venue["id"], occurred_at="2025-01-01T00:00:00Z")
    newest = interact(client, user["id"], venue["id"], occurred_at="2025-01-03T00:00:00Z")

    assert history(client, user) == [newest, middle, oldest]


def test_history_holds_only_that_users_interactions(client, user, venue):
    other = create_user(client)
    mine = interact(client, user["id"], venue["id"])
    interact(client, other["id"], venue["id"])

    assert history(client, user) == [mine]


def test_history_pages_with_limit_and_offset(client, user, venue):
    logged = [
        interact(client, user["id"], venue["id"], occurred_at=f"2025-01-0{day}T00:00:00Z")
        for day in range(1, 6)
    ]
    url = f"/users/{user['id']}/interactions"

    pages = [client.get(url, params={"limit": 2, "offset": o}).json() for o in (0, 2, 4)]

    assert [row for page in pages for row in page] == logged[::-1]


def test_history_of_unknown_user_is_404(client):
    assert_error(client.get(f"/users/{uuid.uuid4()}/interactions"), 404, "User not found")


# --- batch ----------------------------------------------------------------------------------


def test_batch_inserts_every_item(client, user, venue):
    items = [item(user, venue, interaction_type=k) for k in ("view", "interest", "like")]

    response = client.post("/interactions/batch", json={"interactions": items})

    assert response.status_code == 201
    assert response.json() == {"inserted": 3}
    assert sorted(r["interaction_type"] for r in history(client, user)) == [
        "interest",
        "like",
        "view",
    ]


def test_batch_items_get_the_same_defaults(client, user, venue):
    before = datetime.now(UTC) - timedelta(seconds=1)
    client.post("/interactions/batch", json={"interactions": [item(user, venue)]})

    (row,) = history(client, user)
    assert row["dwell_time_seconds"] == 0
    assert assert_utc(row["occurred_at"]) >= before
    assert_utc(row["created_at"])


def test_batch_takes_naive_times_as_utc(client, user, venue):
    batch = [item(user, venue, occurred_at="2025-05-05T05:05:05")]
    client.post("/interactions/batch", json={"interactions": batch})

    assert history(client, user)[0]["occurred_at"] == "2025-05-05T05:05:05+00:00"


def test_batch_of_5000_items_is_accepted(client, user, venue):
    response = client.post("/interactions/batch", json={"interactions": [item(user, venue)] * 5000})

    assert response.json() == {"inserted": 5000}
    url = f"/users/{user['id']}/interactions"
    assert len(client.get(url, params={"limit": 10, "offset": 4995}).json()) == 5


def test_batch_of_5001_items_is_rejected(client, user, venue):
    response = client.post("/interactions/batch", json={"interactions": [item(user, venue)] * 5001})

    assert_invalid(response, "body", "interactions")
    assert history(client, user) == []


def test_empty_or_missing_batch_is_rejected(client, subtests):
    for body in [{"interactions": []}, {}, {"interactions": None}]:
        with subtests.test(body=body):
            assert_invalid(client.post("/interactions/batch", json=body), "body")


def test_batch_with_one_invalid_item_is_rejected_naming_its_index(client, subtests, user, venue):
    for bad, field in [
        ({"interaction_type": "poke"}, "interaction_type"),
        ({"dwell_time_seconds": 86401}, "dwell_time_seconds"),
        ({"dwell_time_seconds": -1}, "dwell_time_seconds"),
        ({"venue_id": "not-a-uuid"}, "venue_id"),
        ({"user_id": None}, "user_id"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
    ]:
        with subtests.test(bad=bad):
            items = [item(user, venue), item(user, venue), item(user, venue, **bad)]

            response = client.post("/interactions/batch", json={"interactions": items})

            errors = assert_invalid(response, "body", "interactions", 2, field)
            assert all(error["loc"][2] == 2 for error in errors)
            assert history(client, user) == []


def test_batch_with_an_unknown_user_is_404_naming_its_index(client, user, venue):
    items = [item(user, venue), {**item(user, venue), "user_id": str(uuid.uuid4())}]

    response = client.post("/interactions/batch", json={"interactions": items})

    assert_error(response, 404, "interactions[1]: User not found")
    assert history(client, user) == []


def test_batch_with_an_unknown_venue_is_404_naming_its_index(client, user, venue):
    items = [item(user, venue)] * 3 + [{**item(user, venue), "venue_id": str(uuid.uuid4())}]

    response = client.post("/interactions/batch", json={"interactions": items})

    assert_error(response, 404, "interactions[3]: Venue not found")
    assert history(client, user) == []
