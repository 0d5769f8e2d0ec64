"""SPEC §3: the service's answers equal an independent transcription of the formulas
(tests/reco/reference.py): order, scores, features, distances and reasons, for one person, for
their companions and for a group."""

import math
import random
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from luna.config import RecoSettings, Settings
from tests.factories import connect, create_user, create_venue, interact
from tests.reco.reference import group_scores, people_scores, venue_scores

TOL = 1e-9
CATEGORIES = ["bar", "cafe", "museum", None]


def build_world(client, seed: int, n_users: int = 6, n_venues: int = 12, n_interactions: int = 60):
    rng = random.Random(seed)
    users = []
    for i in range(n_users):
        home = (
            {}
            if i == 0
            else {"home_lat": 40.6 + rng.random() * 0.3, "home_lng": -74.05 + rng.random() * 0.3}
        )
        users.append(create_user(client, **home))
    venues = []
    for i in range(n_venues):
        if i == 1:  # exact twin of venue 0's position: distance ties
            spot = {"lat": venues[0]["lat"], "lng": venues[0]["lng"]}
        else:
            spot = {"lat": 40.6 + rng.random() * 0.3, "lng": -74.05 + rng.random() * 0.3}
        category = CATEGORIES[i % len(CATEGORIES)]
        venues.append(create_venue(client, category=category, **spot))
    items = [
        {
            "user_id": rng.choice(users)["id"],
            "venue_id": rng.choice(venues)["id"],
            "interaction_type": rng.choice(["view", "interest", "like"]),
            "dwell_time_seconds": rng.choice([0, 0, 30, 120, 400, 2000]),
        }
        for _ in range(n_interactions)
    ]
    assert client.post("/interactions/batch", json={"interactions": items}).status_code == 201
    for user in users[:-1]:
        for other in rng.sample(users, 3):
            if other["id"] != user["id"]:
                connect(
                    client,
                    user["id"],
                    other["id"],
                    strength=rng.choice([0.0, 0.25, 0.5, 0.5, 0.9, 1.0]),
                )
    return users, venues


def world_snapshot(client, users):
    venues = client.get("/venues/", params={"limit": 1000}).json()
    interactions = [
        i
        for u in users
        for i in client.get(f"/users/{u['id']}/interactions", params={"limit": 1000}).json()
    ]
    edges = [
        e
        for u in users
        for e in client.get(f"/users/{u['id']}/edges", params={"limit": 1000}).json()
    ]
    return venues, interactions, edges


def assert_close(actual: float | None, expected: float | None) -> None:
    if expected is None:
        assert actual is None
    else:
        assert actual == pytest.approx(expected, abs=TOL, rel=TOL)


@pytest.mark.parametrize("seed", [1, 2])
def test_venue_scores_match_reference(client, seed):
    users, _ = build_world(client, seed)
    venues, interactions, _ = world_snapshot(client, users)
    for user in users:
        got = client.get(f"/reco/venues/{user['id']}", params={"limit": 100}).json()
        want = venue_scores(user, venues, interactions)
        assert [r["venue_id"] for r in got] == [r["venue_id"] for r in want]
        for g, w in zip(got, want, strict=True):
            assert_close(g["score"], w["score"])
            assert_close(g["distance_km"], w["distance_km"])
            for name in ("spatial", "preference", "popularity"):
                assert_close(g["features"][name], w["features"][name])
            assert g["reasons"] == w["reasons"]


@pytest.mark.parametrize("seed", [3, 4])
def test_people_scores_match_reference(client, seed):
    users, _ = build_world(client, seed)
    venues, interactions, edges = world_snapshot(client, users)
    for user in users:
        for venue in [None, *venues[:5]]:
            params = {"limit": 100} | ({"venue_id": venue["id"]} if venue else {})
            got = client.get(f"/reco/people/{user['id']}", params=params).json()
            want = people_scores(user["id"], edges, venue, venues, interactions)
            assert [r["user_id"] for r in got] == [r["user_id"] for r in want]
            for g, w in zip(got, want, strict=True):
                assert_close(g["score"], w["score"])
                assert g["relationship_type"] == w["relationship_type"]
                for name in ("social", "direct", "category"):
                    assert_close(g["features"][name], w["features"][name])
                assert g["reasons"] == w["reasons"]


def test_venue_score_worked_example(client):
    """Numbers worked out by hand from SPEC §3."""
    user = create_user(client, home_lat=40.0, home_lng=-73.0)
    here = create_venue(client, lat=40.0, lng=-73.0)
    north = create_venue(client, lat=41.0, lng=-73.0)  # one degree north: 6371·π/180 km
    interact(client, user["id"], here["id"], "like", dwell=150)  # 0.5·1 + 150/300 = 1
    interact(client, user["id"], north["id"], "view", dwell=60)  # 0.5·0 + 60/300 = 0.2
    got = client.get(f"/reco/venues/{user['id']}").json()
    assert [r["venue_id"] for r in got] == [here["id"], north["id"]]
    assert got[0]["score"] == pytest.approx(0.4 * 1 + 0.4 * 1 + 0.2 * 1, abs=TOL)
    assert got[0]["distance_km"] == pytest.approx(0.0, abs=TOL)
    km = 6371.0 * math.pi / 180
    assert got[1]["distance_km"] == pytest.approx(km, rel=1e-12)
    assert got[1]["features"] == pytest.approx(
        {"spatial": math.exp(-0.3 * km), "preference": 0.2, "popularity": 0.0}
    )
    assert got[1]["score"] == pytest.approx(0.4 * math.exp(-0.3 * km) + 0.4 * 0.2, abs=TOL)


def test_preference_caps_at_one_and_counts_dwell_from_views(client):
    user = create_user(client)
    venue = create_venue(client)
    for _ in range(3):
        interact(client, user["id"], venue["id"], "interest")
    other = create_venue(client)
    interact(client, user["id"], other["id"], "view", dwell=90)
    got = {r["venue_id"]: r for r in client.get(f"/reco/venues/{user['id']}").json()}
    assert got[venue["id"]]["features"]["preference"] == 1.0
    assert got[other["id"]]["features"]["preference"] == pytest.approx(0.3, abs=TOL)


def test_user_without_home_has_null_distance_and_zero_spatial(client):
    user = create_user(client)
    create_venue(client)
    (result,) = client.get(f"/reco/venues/{user['id']}").json()
    assert result["distance_km"] is None
    assert result["features"] == {"spatial": 0.0, "preference": 0.0, "popularity": 0.0}
    assert result["score"] == 0.0


def test_popularity_is_relative_to_the_most_liked_venue(client):
    fans = [create_user(client) for _ in range(4)]
    hit, side = create_venue(client), create_venue(client)
    for fan in fans:
        interact(client, fan["id"], hit["id"], "like")
    interact(client, fans[0]["id"], side["id"], "interest")
    interact(client, fans[1]["id"], side["id"], "view")  # views are not positive
    got = {r["venue_id"]: r for r in client.get(f"/reco/venues/{fans[2]['id']}").json()}
    assert got[hit["id"]]["features"]["popularity"] == 1.0
    assert got[side["id"]]["features"]["popularity"] == 0.25


def test_ties_break_by_distance_then_venue_id(client_for):
    """With the spatial weight at 0 every venue scores 0: order is distance, then id."""
    reco = RecoSettings(venue_weight_spatial=0.0)
    with client_for(reco) as client:
        user = create_user(client, home_lat=40.7, home_lng=-74.0)
        far = create_venue(client, lat=40.9, lng=-74.0)
        twins = [create_venue(client, lat=40.8, lng=-74.0) for _ in range(3)]
        near = create_venue(client, lat=40.7, lng=-74.0)
        got = client.get(f"/reco/venues/{user['id']}").json()
        assert all(r["score"] == 0.0 for r in got)
        expected = [near["id"], *sorted(t["id"] for t in twins), far["id"]]
        assert [r["venue_id"] for r in got] == expected


def test_people_ties_break_by_user_id(client):
    user = create_user(client)
    friends = [create_user(client) for _ in range(4)]
    for friend in friends:
        connect(client, user["id"], friend["id"], strength=0.5)
    got = client.get(f"/reco/people/{user['id']}").json()
    assert [r["user_id"] for r in got] == sorted(f["id"] for f in friends)
    assert all(r["score"] == pytest.approx(0.3, abs=TOL) for r in got)


def test_people_category_counts_every_venue_of_the_category(client):
    user, friend = create_user(client), create_user(client)
    connect(client, user["id"], friend["id"], strength=1.0)
    target = create_venue(client, category="museum")
    sibling = create_venue(client, category="museum")
    elsewhere = create_venue(client, category="bar")
    interact(client, friend["id"], target["id"], "like", dwell=60)  # direct: 0.5 + 0.2
    interact(client, friend["id"], sibling["id"], "interest", dwell=120)
    interact(client, friend["id"], elsewhere["id"], "like", dwell=600)
    (got,) = client.get(f"/reco/people/{user['id']}", params={"venue_id": target["id"]}).json()
    # category: 0.3·2 + (60 + 120)/600 = 0.9
    assert got["features"] == pytest.approx(
        {"social": 1.0, "direct": 0.7, "category": 0.9}, abs=TOL
    )
    assert got["score"] == pytest.approx(0.6 + 0.25 * 0.7 + 0.15 * 0.9, abs=TOL)


def test_people_without_venue_score_on_the_edge_alone(client):
    user, friend = create_user(client), create_user(client)
    connect(client, user["id"], friend["id"], strength=0.8, kind="mutual")
    venue = create_venue(client)
    interact(client, friend["id"], venue["id"], "like", dwell=300)
    (got,) = client.get(f"/reco/people/{user['id']}").json()
    assert got["features"] == {"social": 0.8, "direct": 0.0, "category": 0.0}
    assert got["relationship_type"] == "mutual"
    assert got["handle"] == friend["handle"] and got["name"] == friend["name"]


def test_venue_without_category_gives_zero_category_feature(client):
    user, friend = create_user(client), create_user(client)
    connect(client, user["id"], friend["id"], strength=0.5)
    venue = create_venue(client, category=None)
    interact(client, friend["id"], venue["id"], "like")
    (got,) = client.get(f"/reco/people/{user['id']}", params={"venue_id": venue["id"]}).json()
    assert got["features"]["direct"] == 0.5
    assert got["features"]["category"] == 0.0


@pytest.fixture
def client_for(db_url: str, app_cache):
    """A client for an app with other recommendation weights."""

    @contextmanager
    def make(reco: RecoSettings) -> Iterator[TestClient]:
        reco = reco.model_copy(update={"refresh_seconds": 0})  # see tests/conftest.py
        settings = Settings(
            database_url=db_url, reco=reco, luna_auth=False, luna_write_rate_limit="100000/minute"
        )
        with TestClient(app_cache.app(settings)) as client:
            yield client

    return make


def test_weights_come_from_settings(client_for):
    reco = RecoSettings(
        venue_weight_spatial=1.0,
        venue_weight_preference=0.0,
        venue_weight_popularity=0.0,
        spatial_decay_per_km=1.0,
    )
    with client_for(reco) as client:
        user = create_user(client, home_lat=40.0, home_lng=-73.0)
        venue = create_venue(client, lat=40.0, lng=-72.99)
        interact(client, user["id"], venue["id"], "like")
        (got,) = client.get(f"/reco/venues/{user['id']}").json()
        assert got["score"] == pytest.approx(math.exp(-1.0 * got["distance_km"]), abs=TOL)


def test_weights_read_from_environment(monkeypatch):
    monkeypatch.setenv("LUNA_RECO_VENUE_WEIGHT_SPATIAL", "0.7")
    monkeypatch.setenv("LUNA_RECO_PEOPLE_WEIGHT_SOCIAL", "0.1")
    settings = Settings()
    assert settings.reco.venue_weight_spatial == 0.7
    assert settings.reco.people_weight_social == 0.1
    assert settings.reco.venue_weight_preference == 0.4


def assert_alike(got: object, want: object) -> None:
    """Equal, but floats only within TOL."""
    if isinstance(want, float):
        assert got == pytest.approx(want, abs=TOL, rel=TOL)
    elif isinstance(want, dict):
        assert isinstance(got, dict) and got.keys() == want.keys()
        for key in want:
            assert_alike(got[key], want[key])
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            assert_alike(g, w)
    else:
        assert got == want


@pytest.mark.parametrize("strategy", ["average", "least_misery", "fair"])
def test_group_answers_match_the_reference(client, strategy):
    """The service ranks a group among a few candidate venues (ranking.group_positions); with
    60 venues and limit 1 or 2 most venues are left out, and the answer must not change."""
    users, _ = build_world(client, seed=11, n_users=5, n_venues=60, n_interactions=150)
    venues, interactions, _ = world_snapshot(client, users)
    group = users[:4]  # users[0] has no home
    for limit in (1, 2, 5):
        body = {"user_ids": [u["id"] for u in group], "strategy": strategy, "limit": limit}
        got = client.post("/reco/venues/group", json=body)
        assert got.status_code == 200
        assert len(got.json()) == limit
        assert_alike(got.json(), group_scores(group, venues, interactions, strategy, limit))
