"""Recommendation routes: validation, 404s and response shape only (the formulas are tested
elsewhere)."""

import uuid

import pytest

from tests.factories import assert_error, assert_invalid, connect, create_user, create_venue

# SPEC §2's fields, plus `reasons` (an addition: see README "Planning together").
VENUE_RECO_FIELDS = {
    "venue_id",
    "venue_name",
    "category",
    "score",
    "distance_km",
    "features",
    "reasons",
}
PERSON_RECO_FIELDS = {
    "user_id",
    "handle",
    "name",
    "score",
    "relationship_type",
    "features",
    "reasons",
}


@pytest.fixture
def user(client):
    return create_user(client, home_lat=40.73, home_lng=-73.99)


# --- venues ---------------------------------------------------------------------------------


def test_venue_reco_has_the_documented_shape(client, user):
    venue = create_venue(client, name="Spot", category="bar")

    response = client.get(f"/reco/venues/{user['id']}")

    assert response.status_code == 200
    (item,) = response.json()
    assert item.keys() == VENUE_RECO_FIELDS
    assert (item["venue_id"], item["venue_name"], item["category"]) == (venue["id"], "Spot", "bar")
    assert item["features"].keys() == {"spatial", "preference", "popularity"}
    assert isinstance(item["score"], float)
    assert isinstance(item["distance_km"], float)


def test_venue_reco_without_home_has_null_distance(client):
    homeless = create_user(client)
    create_venue(client)

    (item,) = client.get(f"/reco/venues/{homeless['id']}").json()

    assert item["distance_km"] is None


def test_venue_reco_defaults_to_10_results(client, user):
    for _ in range(11):
        create_venue(client)

    assert len(client.get(f"/reco/venues/{user['id']}").json()) == 10


def test_venue_reco_limit_within_bounds_is_accepted(client, subtests, user):
    create_venue(client)
    create_venue(client)
    for limit in [1, 100]:
        with subtests.test(limit=limit):
            response = client.get(f"/reco/venues/{user['id']}", params={"limit": limit})

            assert response.status_code == 200
            assert len(response.json()) == min(limit, 2)


def test_venue_reco_limit_out_of_bounds_is_422(client, subtests, user):
    for limit in [0, 101, -1, 10**30, "ten"]:
        with subtests.test(limit=limit):
            response = client.get(f"/reco/venues/{user['id']}", params={"limit": limit})

            assert_invalid(response, "query", "limit")


def test_venue_reco_for_unknown_user_is_404(client):
    assert_error(client.get(f"/reco/venues/{uuid.uuid4()}"), 404, "User not found")


def test_venue_reco_with_malformed_user_id_is_422(client):
    assert_invalid(client.get("/reco/venues/me"), "path", "user_id")


# --- people ---------------------------------------------------------------------------------


def test_people_reco_has_the_documented_shape(client, user):
    friend = create_user(client)
    connect(client, user["id"], friend["id"], strength=0.7, kind="mutual")
    venue = create_venue(client)

    response = client.get(f"/reco/people/{user['id']}", params={"venue_id": venue["id"]})

    assert response.status_code == 200
    (item,) = response.json()
    assert item.keys() == PERSON_RECO_FIELDS
    assert (item["user_id"], item["handle"], item["name"]) == (
        friend["id"],
        friend["handle"],
        friend["name"],
    )
    assert item["relationship_type"] == "mutual"
    assert item["features"].keys() == {"social", "direct", "category"}
    assert isinstance(item["score"], float)


def test_people_reco_works_without_a_venue(client, user):
    connect(client, user["id"], create_user(client)["id"])

    response = client.get(f"/reco/people/{user['id']}")

    assert response.status_code == 200
    assert len(response.json()) == 1


def test_people_reco_defaults_to_10_results(client, user):
    for _ in range(11):
        connect(client, user["id"], create_user(client)["id"])

    assert len(client.get(f"/reco/people/{user['id']}").json()) == 10


def test_people_reco_limit_within_bounds_is_accepted(client, subtests, user):
    connect(client, user["id"], create_user(client)["id"])
    connect(client, user["id"], create_user(client)["id"])
    for limit in [1, 100]:
        with subtests.test(limit=limit):
            response = client.get(f"/reco/people/{user['id']}", params={"limit": limit})

            assert response.status_code == 200
            assert len(response.json()) == min(limit, 2)


def test_people_reco_limit_out_of_bounds_is_422(client, subtests, user):
    for limit in [0, 101, -1, 10**30, "ten"]:
        with subtests.test(limit=limit):
            response = client.get(f"/reco/people/{user['id']}", params={"limit": limit})

            assert_invalid(response, "query", "limit")


def test_people_reco_for_unknown_user_is_404(client):
    assert_error(client.get(f"/reco/people/{uuid.uuid4()}"), 404, "User not found")


def test_people_reco_for_unknown_venue_is_404(client, user):
    response = client.get(f"/reco/people/{user['id']}", params={"venue_id": str(uuid.uuid4())})

    assert_error(response, 404, "Venue not found")


def test_people_reco_with_malformed_venue_id_is_422(client, user):
    response = client.get(f"/reco/people/{user['id']}", params={"venue_id": "cafe"})

    assert_invalid(response, "query", "venue_id")
