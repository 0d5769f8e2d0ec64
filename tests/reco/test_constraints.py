"""Hard constraints on GET /reco/venues/{user_id}: each one, their combinations, validation.

The user lives at (40.0, -74.0); 0.01 degree of latitude is 1.112 km.
"""

import pytest

from tests.factories import assert_invalid, create_user, create_venue, interact


@pytest.fixture
def home(client):
    return create_user(client, home_lat=40.0, home_lng=-74.0)


def reco(client, user, **params):
    response = client.get(f"/reco/venues/{user['id']}", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return response.json()


def venue_names(results):
    return sorted(r["venue_name"] for r in results)


def at_km(client, name, km, **fields):
    return create_venue(client, name=name, lat=40.0 + km / 111.195, lng=-74.0, **fields)


def test_max_distance_keeps_venues_within_it(client, home):
    for name, km in (("a", 1), ("b", 2.9), ("c", 3.1), ("d", 10)):
        at_km(client, name, km)
    got = reco(client, home, max_distance_km=3)
    assert venue_names(got) == ["a", "b"]
    assert all(r["distance_km"] <= 3 for r in got)


def test_max_distance_needs_an_origin(client):
    homeless = create_user(client)
    create_venue(client)
    response = client.get(f"/reco/venues/{homeless['id']}", params={"max_distance_km": 5})
    errors = assert_invalid(response, "query", "max_distance_km")
    assert "origin" in errors[0]["msg"]
    near = {"max_distance_km": 5, "near_lat": 40.73, "near_lng": -73.99}
    assert len(reco(client, homeless, **near)) == 1


def test_near_point_replaces_home_for_distance_and_ranking(client, home):
    at_km(client, "by-home", 0)
    create_venue(client, name="by-office", lat=41.0, lng=-74.0)
    got = reco(client, home, near_lat=41.0, near_lng=-74.0)
    assert got[0]["venue_name"] == "by-office"
    assert got[0]["distance_km"] == pytest.approx(0.0)
    assert got[0]["features"]["spatial"] == pytest.approx(1.0)
    assert "It is right by you." in got[0]["reasons"]
    filtered = reco(client, home, near_lat=41.0, near_lng=-74.0, max_distance_km=5)
    assert venue_names(filtered) == ["by-office"]


def test_max_price_level_drops_pricier_and_unpriced_venues(client, home):
    for level in (1, 2, 3, 4):
        at_km(client, f"p{level}", 1, price_level=level)
    at_km(client, "unpriced", 1)
    assert venue_names(reco(client, home, max_price_level=2)) == ["p1", "p2"]
    assert venue_names(reco(client, home, max_price_level=4)) == ["p1", "p2", "p3", "p4"]


def test_min_rating_drops_lower_and_unrated_venues(client, home):
    for rating in (2.0, 4.0, 4.5):
        at_km(client, f"r{rating}", 1, rating=rating)
    at_km(client, "unrated", 1)
    assert venue_names(reco(client, home, min_rating=4)) == ["r4.0", "r4.5"]
    assert venue_names(reco(client, home, min_rating=0)) == ["r2.0", "r4.0", "r4.5"]


def test_categories_is_repeated_and_lower_cased(client, home):
    for category in ("bar", "cafe", "museum"):
        at_km(client, category, 1, category=category)
    at_km(client, "uncategorised", 1, category=None)
    got = client.get(f"/reco/venues/{home['id']}?categories=bar&categories=CAFE")
    assert venue_names(got.json()) == ["bar", "cafe"]
    assert venue_names(reco(client, home, categories="museum")) == ["museum"]


def test_exclude_visited_drops_any_interaction(client, home):
    seen = at_km(client, "seen", 1)
    liked = at_km(client, "liked", 1)
    at_km(client, "new", 1)
    interact(client, home["id"], seen["id"], kind="view")
    interact(client, home["id"], liked["id"], kind="like")
    assert venue_names(reco(client, home, exclude_visited=True)) == ["new"]
    assert len(reco(client, home, exclude_visited=False)) == 3


def test_constraints_filter_before_top_k(client, home):
    # The five best-scored venues (nearest) are all too expensive.
    for i in range(5):
        at_km(client, f"pricey{i}", 0.1 * i, price_level=4)
    for i in range(12):
        at_km(client, f"cheap{i}", 5 + i, price_level=1)
    got = reco(client, home, max_price_level=2, limit=10)
    assert len(got) == 10
    assert all(r["venue_name"].startswith("cheap") for r in got)
    assert [r["venue_name"] for r in got] == [f"cheap{i}" for i in range(10)]


def test_combined_constraints_must_all_hold(client, home):
    spec = {"category": "bar", "price_level": 2, "rating": 4.5}
    at_km(client, "fits", 1, **spec)
    at_km(client, "too-far", 8, **spec)
    at_km(client, "wrong-category", 1, **spec | {"category": "cafe"})
    at_km(client, "too-pricey", 1, **spec | {"price_level": 3})
    at_km(client, "badly-rated", 1, **spec | {"rating": 3.0})
    visited = at_km(client, "visited", 1, **spec)
    interact(client, home["id"], visited["id"], kind="view")
    params = {
        "max_distance_km": 5,
        "categories": "bar",
        "max_price_level": 2,
        "min_rating": 4,
        "exclude_visited": True,
    }
    assert venue_names(reco(client, home, **params)) == ["fits"]
    assert len(reco(client, home, **params | {"exclude_visited": False})) == 2
    assert len(reco(client, home, **params | {"max_distance_km": 10})) == 2


def test_popularity_stays_relative_to_every_venue(client, home):
    star = at_km(client, "star", 1, category="cafe")
    bar = at_km(client, "bar", 1, category="bar")
    fan = create_user(client)
    for _ in range(4):
        interact(client, fan["id"], star["id"], kind="like")
    interact(client, fan["id"], bar["id"], kind="like")
    (got,) = reco(client, home, categories="bar")
    assert got["features"]["popularity"] == pytest.approx(0.25)


def test_no_constraint_gives_the_spec_ranking(client, home):
    for km in (1, 2, 3):
        at_km(client, f"v{km}", km, price_level=2)
    plain = client.get(f"/reco/venues/{home['id']}").json()
    loose = reco(client, home, max_price_level=4, max_distance_km=100, limit=10)
    assert plain == loose


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"near_lat": 40.0}, ("query", "near_lat")),
        ({"near_lng": -74.0}, ("query", "near_lat")),
        ({"near_lat": 91, "near_lng": 0}, ("query", "near_lat")),
        ({"max_price_level": 0}, ("query", "max_price_level")),
        ({"max_price_level": 5}, ("query", "max_price_level")),
        ({"min_rating": -0.1}, ("query", "min_rating")),
        ({"min_rating": 5.1}, ("query", "min_rating")),
        ({"max_distance_km": 0}, ("query", "max_distance_km")),
        ({"max_distance_km": -1}, ("query", "max_distance_km")),
        ({"categories": "coffee shop"}, ("query", "categories")),
        ({"categories": ""}, ("query", "categories")),
        ({"exclude_visited": "maybe"}, ("query", "exclude_visited")),
    ],
)
def test_invalid_constraints_are_422(client, home, params, loc):
    assert_invalid(client.get(f"/reco/venues/{home['id']}", params=params), *loc)


def test_the_query_string_is_read_as_fastapi_reads_a_query_model(client, home):
    """FastAPI reads the query model (`Annotated[VenueConstraintsQuery, Query()]`): the last of
    a repeated scalar, every `categories`, unknown names ignored, 422s under "query"."""
    for name, km in (("a", 1), ("b", 2.9), ("c", 3.1)):
        at_km(client, name, km)
    url = f"/reco/venues/{home['id']}"
    # A repeated scalar: the last one counts. Unknown names are ignored. Booleans as words.
    got = client.get(f"{url}?max_distance_km=1.5&max_distance_km=3&limit=100&colour=blue")
    assert venue_names(got.json()) == ["a", "b"]
    assert len(client.get(f"{url}?limit=1&limit=2").json()) == 2
    client.post(
        f"/venues/{got.json()[0]['venue_id']}/interactions",
        json={"user_id": home["id"], "interaction_type": "view"},
    )
    assert len(client.get(f"{url}?exclude_visited=yes").json()) == 2
    assert len(client.get(f"{url}?exclude_visited=off").json()) == 3
    # A 422 points into the query, as FastAPI's own.
    error = client.get(f"{url}?limit=abc").json()["detail"][0]
    assert error["loc"] == ["query", "limit"] and error["type"] == "int_parsing"


def test_docs_list_every_constraint_as_a_query_parameter(client):
    operation = client.get("/openapi.json").json()["paths"]["/reco/venues/{user_id}"]["get"]
    where = {p["name"]: p["in"] for p in operation["parameters"]}
    assert where == {
        "user_id": "path",
        "max_distance_km": "query",
        "max_price_level": "query",
        "categories": "query",
        "min_rating": "query",
        "exclude_visited": "query",
        "near_lat": "query",
        "near_lng": "query",
        "at": "query",
        "limit": "query",
        "vibe": "query",
    }
    limit = next(p for p in operation["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 100 and limit["required"] is False
    at = next(p for p in operation["parameters"] if p["name"] == "at")
    assert at["required"] is False and "offset" in at["description"]
    assert {"type": "string", "format": "date-time"} in at["schema"]["anyOf"]
