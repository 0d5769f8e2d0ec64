"""The moment a recommendation is for: `at` on the venue and group routes, LUNA_CLOCK.

The heuristic (SPEC §3) ignores the time; the learned ranker counts recency from `at` (else
from the service's clock, LUNA_CLOCK or the wall clock) and fits categories to `at`'s time of
week. The learned apps here serve tiny models (tests/reco/test_learned.py's and one that
prefers venues whose category fits the time).
"""

import math
from collections.abc import Iterator
from datetime import UTC, datetime

import lightgbm as lgb
import numpy as np
import pytest
from fastapi.testclient import TestClient

from luna.config import Settings
from luna.learning.features import COLUMN, FEATURE_NAMES, N_FEATURES
from luna.learning.ranker import MODES, RankerModel
from tests.factories import assert_invalid, create_user, create_venue, interact
from tests.reco.test_learned import KM, far_is_better, learned_app, reco, world

NAIVE = "2012-12-16T12:00:00"
# A Sunday noon in New York (EST, -05:00), two days after the visits of `replay`.
AT = "2012-12-16T12:00:00-05:00"
SUNDAY_NOON = datetime(2012, 12, 16, 17, tzinfo=UTC)


def group(client, user_ids, **body) -> list[dict]:
    response = client.post("/reco/venues/group", json={"user_ids": user_ids, **body})
    assert response.status_code == 200, response.text
    return response.json()


# --- validation and the heuristic -------------------------------------------------------------


def test_at_without_an_offset_is_a_422_on_both_routes(client):
    user, _ = world(client)
    for at in (NAIVE, "2012-12-16", "friday", "2012-12-16T25:00:00+00:00"):
        response = client.get(f"/reco/venues/{user['id']}", params={"at": at})
        errors = assert_invalid(response, "query", "at")
        if at == NAIVE:
            assert [e["msg"] for e in errors] == ["Input should have timezone info"]
        response = client.post("/reco/venues/group", json={"user_ids": [user["id"]], "at": at})
        assert_invalid(response, "body", "at")


def test_the_heuristic_ignores_at(client):
    user, venues = world(client)
    other = create_user(client, home_lat=40.01, home_lng=-74.0)
    interact(client, other["id"], venues["1km"]["id"], "like")
    plain = reco(client, user)
    assert [r["venue_name"] for r in plain] == ["4km", "1km", "10km", "7km"]
    for at in (AT, "1999-01-01T00:00:00Z", "2099-06-30T21:30:00+09:00"):
        assert reco(client, user, at=at) == plain
        near = {"near_lat": 40.0 + 10 * KM, "near_lng": -74.0}
        assert reco(client, user, at=at, **near) == reco(client, user, **near)
        ids = [user["id"], other["id"]]
        for strategy in ("average", "least_misery", "fair"):
            assert group(client, ids, strategy=strategy, at=at) == group(
                client, ids, strategy=strategy
            )


# --- the learned ranker -----------------------------------------------------------------------


def _learned(settings: Settings, path, **update) -> Iterator[TestClient]:
    app = learned_app(settings.model_copy(update=update), path)
    assert app.state.venue_ranker is not None
    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()


@pytest.fixture
def model_path(tmp_path):
    path = tmp_path / "venue_ranker.json"
    far_is_better(path)
    return path


@pytest.fixture
def learned(settings, model_path) -> Iterator[TestClient]:
    yield from _learned(settings, model_path)


@pytest.fixture
def frozen(settings, model_path) -> Iterator[TestClient]:
    """LUNA_CLOCK: the service's clock stopped at Sunday 2012-12-16 noon, New York."""
    yield from _learned(settings, model_path, luna_clock=SUNDAY_NOON)


def replay(client) -> tuple[dict, dict]:
    """A person who liked a venue on Friday 2012-12-14 at noon New York time (years ago by
    the wall clock), and a venue nobody visited."""
    user = create_user(client, home_lat=40.0, home_lng=-74.0)
    old = create_venue(client, name="old", lat=40.0 + 2 * KM, lng=-74.0)
    create_venue(client, name="never", lat=40.0 + 5 * KM, lng=-74.0)
    interact(client, user["id"], old["id"], "like", occurred_at="2012-12-14T12:00:00-05:00")
    return user, old


def features_of(results: list[dict], name: str) -> dict:
    return next(r for r in results if r["venue_name"] == name)["features"]


def test_learned_recency_counts_from_at(learned):
    user, _ = replay(learned)
    at = features_of(reco(learned, user, at=AT), "old")
    assert at["days_since_visit"] == pytest.approx(2.0)
    assert at["own_recency"] == pytest.approx(math.exp(-2 / 30), rel=1e-5)
    # The same instant in another offset is the same moment.
    tokyo = features_of(reco(learned, user, at="2012-12-17T02:00:00+09:00"), "old")
    assert tokyo["days_since_visit"] == pytest.approx(2.0)
    # Without `at` (and no LUNA_CLOCK): the wall clock, years later.
    wall = features_of(reco(learned, user), "old")
    expected = (datetime.now(UTC) - datetime(2012, 12, 14, 17, tzinfo=UTC)).days
    assert wall["days_since_visit"] == pytest.approx(expected, abs=1.5)
    assert wall["own_recency"] == pytest.approx(0.0, abs=1e-30)
    # A visit after `at` counts as at `at` (age 0), not as a negative age.
    before = features_of(reco(learned, user, at="2012-12-01T00:00:00+00:00"), "old")
    assert before["days_since_visit"] == 0.0
    assert features_of(reco(learned, user, at=AT), "never")["days_since_visit"] is None


def test_luna_clock_freezes_the_clock_recency_counts_from(frozen):
    user, _ = replay(frozen)
    got = features_of(reco(frozen, user), "old")  # no `at`: LUNA_CLOCK
    assert got["days_since_visit"] == pytest.approx(2.0)
    assert got["own_recency"] == pytest.approx(math.exp(-2 / 30), rel=1e-5)
    # The catalog's recent counts too: one visit within 14 days of the clock.
    assert got["venue_recent"] == pytest.approx(math.log(2))
    later = features_of(reco(frozen, user, at="2012-12-20T12:00:00-05:00"), "old")
    assert later["days_since_visit"] == pytest.approx(6.0)  # `at` wins over LUNA_CLOCK


def test_without_luna_clock_the_catalog_counts_from_the_wall_clock_even_with_at(learned):
    """The catalog context is built once per snapshot from the service's clock, not per
    request: `at` moves the person's recency, not the venues' recent counts."""
    user, _ = replay(learned)
    assert features_of(reco(learned, user, at=AT), "old")["venue_recent"] == 0.0


def fit_is_better(path) -> None:
    """A model file whose trees rank by time_fit, higher first."""
    rng = np.random.default_rng(0)
    x = np.zeros((600, N_FEATURES))
    x[:, COLUMN["time_fit"]] = rng.uniform(0, 1, 600)
    y = np.floor(x[:, COLUMN["time_fit"]] * 4.99)
    data = lgb.Dataset(x, y, group=[30] * 20, feature_name=list(FEATURE_NAMES))
    params = {"objective": "lambdarank", "verbose": -1, "num_threads": 1, "min_data_in_leaf": 5}
    booster = lgb.train(params, data, num_boost_round=30)
    RankerModel({mode: booster for mode in MODES}).save(path)


@pytest.fixture
def timed(settings, tmp_path) -> Iterator[TestClient]:
    path = tmp_path / "fit_is_better.json"
    fit_is_better(path)
    yield from _learned(settings, path)


FRIDAY_NIGHT = "2012-12-14T22:30:00-05:00"  # weekday 20:00-24:00 in New York
SATURDAY_MORNING = "2012-12-15T09:30:00-05:00"  # weekend 08:00-12:00


def test_learned_ranks_for_the_moment_and_the_place(timed):
    """Everybody goes to the bar on Friday nights and to the café on Saturday mornings; the
    person did each once. Without `at`, both fit the person's habits alike; with it, the
    category that fits the moment does, and the ranking follows."""
    user = create_user(timed, home_lat=40.0, home_lng=-74.0)
    bar = create_venue(timed, name="bar", category="bar", lat=40.0 + 1 * KM, lng=-74.0)
    cafe = create_venue(timed, name="cafe", category="cafe", lat=40.0 + 3 * KM, lng=-74.0)
    for day in (7, 14):
        for person in (user, create_user(timed)):
            interact(timed, person["id"], bar["id"], occurred_at=f"2012-12-{day:02}T22:00-05:00")
            cafe_at = f"2012-12-{day + 1:02}T09:00-05:00"
            interact(timed, person["id"], cafe["id"], occurred_at=cafe_at)
    habits = reco(timed, user)
    assert [features_of(habits, n)["time_fit"] for n in ("bar", "cafe")] == [
        pytest.approx(math.sqrt(0.5), rel=1e-5)
    ] * 2
    friday = reco(timed, user, at=FRIDAY_NIGHT)
    assert [r["venue_name"] for r in friday] == ["bar", "cafe"]
    assert features_of(friday, "bar")["time_fit"] == pytest.approx(1.0)
    assert features_of(friday, "cafe")["time_fit"] == 0.0
    near = {"near_lat": 40.0 + 4 * KM, "near_lng": -74.0}
    saturday = reco(timed, user, at=SATURDAY_MORNING, **near)
    assert [r["venue_name"] for r in saturday] == ["cafe", "bar"]
    assert features_of(saturday, "cafe")["time_fit"] == pytest.approx(1.0)
    # ... from that place: distances (the model's and the answer's) from `near`.
    assert features_of(saturday, "cafe")["dist_home_km"] == pytest.approx(1.0, rel=1e-3)
    assert saturday[0]["distance_km"] == pytest.approx(1.0, rel=1e-3)
    assert features_of(saturday, "bar")["dist_home_km"] == pytest.approx(3.0, rel=1e-3)
