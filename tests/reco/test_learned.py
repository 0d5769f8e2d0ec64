"""GET /reco/venues/{user_id} with LUNA_VENUE_MODEL=learned (luna.reco.learned).

The model here is a tiny booster that prefers venues FAR from home, the opposite of the
formula: the route's order then tells which of the two ranked.
"""

import json
import math
import time
from collections.abc import Iterator

import lightgbm as lgb
import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from luna.app import create_app
from luna.config import RecoSettings, Settings
from luna.learning.features import COLUMN, FEATURE_NAMES, N_FEATURES
from luna.learning.ranker import MODES, RankerModel
from tests.factories import create_user, create_venue, interact

KM = 1 / 111.195  # degrees of latitude per km
HEURISTIC_KEYS = {"venue_id", "venue_name", "category", "score", "distance_km", "features"}


def far_is_better(path) -> None:
    """A model file whose trees rank by distance from home, farther first."""
    rng = np.random.default_rng(0)
    x = np.zeros((600, N_FEATURES))
    x[:, COLUMN["dist_home_km"]] = rng.uniform(0, 12, 600)
    y = np.floor(x[:, COLUMN["dist_home_km"]] / 2.5).clip(0, 4)
    data = lgb.Dataset(x, y, group=[30] * 20, feature_name=list(FEATURE_NAMES))
    params = {"objective": "lambdarank", "verbose": -1, "num_threads": 1, "min_data_in_leaf": 5}
    booster = lgb.train(params, data, num_boost_round=30)
    RankerModel({mode: booster for mode in MODES}).save(path)


def learned_app(settings: Settings, path) -> FastAPI:
    return create_app(
        settings.model_copy(
            update={"luna_venue_model": "learned", "luna_venue_model_path": str(path)}
        )
    )


@pytest.fixture
def learned_client(settings, tmp_path) -> Iterator[TestClient]:
    path = tmp_path / "venue_ranker.json"
    far_is_better(path)
    app = learned_app(settings, path)
    assert app.state.venue_ranker is not None
    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()


def world(client) -> tuple[dict, dict[str, dict]]:
    """A person at (40, -74) and four venues 1, 4, 7 and 10 km north; they liked the 4 km
    one twice."""
    user = create_user(client, home_lat=40.0, home_lng=-74.0)
    venues = {
        f"{km}km": create_venue(
            client,
            name=f"{km}km",
            lat=40.0 + km * KM,
            lng=-74.0,
            category="bar" if km % 2 else "cafe",
            price_level=1 if km < 5 else 3,
        )
        for km in (1, 4, 7, 10)
    }
    for _ in range(2):
        interact(client, user["id"], venues["4km"]["id"], "like")
    other = create_user(client, home_lat=40.05, home_lng=-74.0)
    interact(client, other["id"], venues["10km"]["id"], "interest")
    return user, venues


def reco(client, user, **params) -> list[dict]:
    response = client.get(f"/reco/venues/{user['id']}", params={"limit": 10, **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_learned_route_ranks_by_the_model_and_keeps_the_shape(learned_client):
    # Served by the compiled trees (luna.learning.ranker.RankerModel.compile), from the start.
    assert set(learned_client.app.state.venue_ranker.ranker.model.compiled) == set(MODES)
    user, _ = world(learned_client)
    got = reco(learned_client, user)
    assert [r["venue_name"] for r in got] == ["10km", "7km", "4km", "1km"]
    booster = lgb.Booster(model_str=_booster_text(learned_client))
    for result in got:
        assert HEURISTIC_KEYS <= set(result) and set(result) <= HEURISTIC_KEYS | {"reasons"}
        features = result["features"]
        assert set(features) == {"spatial", "preference", "popularity", *FEATURE_NAMES}
        assert features["spatial"] == features["spec_spatial"]
        assert features["preference"] == features["spec_preference"]
        assert features["popularity"] == features["spec_popularity"]
        row = np.array([[math.nan if features[n] is None else features[n] for n in FEATURE_NAMES]])
        # `score` is the model's: the trees' prediction from the `features` shown.
        assert result["score"] == pytest.approx(float(booster.predict(row)[0]), rel=1e-5)
        assert features["dist_home_km"] == pytest.approx(result["distance_km"], rel=1e-3)
    liked = next(r for r in got if r["venue_name"] == "4km")["features"]
    assert liked["spec_preference"] == 1.0 and liked["own_visits"] == pytest.approx(math.log(3))
    assert got[-1]["features"]["days_since_visit"] is None  # never visited: null, not NaN


def _booster_text(client) -> str:
    return client.app.state.venue_ranker.ranker.model.boosters["all"].model_to_string()


def test_learned_route_respects_hard_constraints(learned_client):
    user, _ = world(learned_client)
    names = lambda results: [r["venue_name"] for r in results]  # noqa: E731
    assert names(reco(learned_client, user, max_distance_km=5)) == ["4km", "1km"]
    assert names(reco(learned_client, user, categories="cafe")) == ["10km", "4km"]
    assert names(reco(learned_client, user, max_price_level=2)) == ["4km", "1km"]
    assert names(reco(learned_client, user, exclude_visited=True)) == ["10km", "7km", "1km"]
    near = reco(learned_client, user, near_lat=40.0 + 10 * KM, near_lng=-74.0, max_distance_km=4)
    assert names(near) == ["7km", "10km"]  # distances (and the model's) from the near point
    assert names(reco(learned_client, user, limit=2)) == ["10km", "7km"]
    homeless = create_user(learned_client)
    response = learned_client.get(f"/reco/venues/{homeless['id']}?max_distance_km=3")
    assert response.status_code == 422
    missing = learned_client.get("/reco/venues/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404


@pytest.mark.parametrize("damage", ["missing", "garbage", "wrong format"])
def test_missing_or_broken_model_means_warning_and_heuristic(settings, tmp_path, capsys, damage):
    path = tmp_path / "venue_ranker.json"
    if damage == "garbage":
        path.write_text("{not json")
    elif damage == "wrong format":
        path.write_text('{"format": "something else", "version": 1}')
    app = learned_app(settings, path)  # configure_logging: JSON lines on stderr
    assert app.state.venue_ranker is None
    warnings = [
        json.loads(line)
        for line in capsys.readouterr().err.splitlines()
        if line.startswith("{") and "luna.learning.serving" in line
    ]
    assert [w["level"] for w in warnings] == ["WARNING"]
    assert "using the heuristic" in warnings[0]["message"]
    try:
        with TestClient(app) as client:
            user, _ = world(client)
            got = reco(client, user)
    finally:
        app.state.engine.dispose()
    # The formula: near and liked first; its three features only.
    assert [r["venue_name"] for r in got][:2] == ["4km", "1km"]
    assert all(set(r["features"]) == {"spatial", "preference", "popularity"} for r in got)


def test_context_is_built_once_per_snapshot_and_rebuilt_in_the_background(monkeypatch):
    """A later window with the same catalog (or the same window loaded again) keeps the
    previous context; once that is
    CONTEXT_MAX_AGE old, it still serves until the new one is built (in a thread); a changed
    catalog, or LUNA_RECO_REFRESH_SECONDS=0 (every request a
    window-0 snapshot), is built in the request."""
    import threading
    import uuid

    from luna.reco import learned_context
    from luna.reco.index import VenueSnapshot

    built = []
    release = threading.Event()

    def fake_build(session, snapshot, now):
        if session == "background":
            release.wait(5)
        built.append((session, snapshot.window))
        return f"context {snapshot.window}/{len(snapshot)}"

    monkeypatch.setattr(learned_context, "build_snapshot_context", fake_build)
    rows = [(uuid.UUID(int=i), f"v{i}", "bar", 40.0, -74.0, None, None) for i in range(3)]

    def snapshot(window, n=3):
        return VenueSnapshot.build(window, rows[:n], {})

    now = [0.0]
    venues = learned_context.LearnedVenues(None, _FakeFactory, clock=lambda: now[0])  # type: ignore[arg-type]
    first = snapshot(1)
    assert venues.context("request", first) == "context 1/3"
    assert venues.context("request", first) == "context 1/3"
    assert venues.context("request", snapshot(1)) == "context 1/3"  # window 1 loaded again
    assert built == [("request", 1)]
    now[0] = learned_context.CONTEXT_MAX_AGE_SECONDS / 2
    assert venues.context("request", snapshot(2)) == "context 1/3"  # young enough: kept
    assert built == [("request", 1)]
    now[0] = learned_context.CONTEXT_MAX_AGE_SECONDS + 1
    second = snapshot(3)
    assert venues.context("request", second) == "context 1/3"  # stale while it builds
    assert venues.context("request", second) == "context 1/3"  # one build at a time
    release.set()
    for thread in threading.enumerate():
        if thread.name == "venue-model-context":
            thread.join(5)
    assert venues.context("request", second) == "context 3/3"
    assert built == [("request", 1), ("background", 3)]
    assert venues.context("request", snapshot(4, n=2)) == "context 4/2"  # catalog changed
    zero = learned_context.LearnedVenues(ranker=None, session_factory=_FakeFactory)  # type: ignore[arg-type]
    built.clear()
    for _ in range(2):
        zero.context("request", snapshot(0))
    assert built == [("request", 0), ("request", 0)]


class _FakeFactory:
    def __enter__(self):
        return "background"

    def __exit__(self, *exc):
        return False


def test_the_first_context_is_built_at_start_up(settings, tmp_path):
    """With windows (here 60 s), the model's catalog context is built in the background when
    the app starts, before any request asks for it."""
    path = tmp_path / "venue_ranker.json"
    far_is_better(path)
    windowed = settings.model_copy(update={"reco": RecoSettings(refresh_seconds=60)})
    app = learned_app(windowed, path)
    ranker = app.state.venue_ranker
    assert ranker is not None and ranker._latest is None
    with TestClient(app):
        deadline = time.monotonic() + 20
        while ranker._latest is None:
            assert time.monotonic() < deadline, "the context was never built"
            time.sleep(0.05)
    app.state.engine.dispose()


def test_a_request_reads_the_person_in_one_statement(client, settings, tmp_path):
    """Once the catalog's context is built, a learned request is the heuristic's kind of
    request: one statement for the person, then the ranking."""
    from luna.reco import learned
    from tests.reco.test_statement_count import count_statements

    user, _ = world(client)  # before the windowed app starts: its first snapshot holds it
    path = tmp_path / "venue_ranker.json"
    far_is_better(path)
    windowed = settings.model_copy(update={"reco": RecoSettings(refresh_seconds=60)})
    app = learned_app(windowed, path)
    try:
        with TestClient(app) as learned_client:
            first = reco(learned_client, user)  # (waits for the context if still building)
            with count_statements(app.state.engine) as statements:
                again = reco(learned_client, user)
    finally:
        app.state.engine.dispose()
    assert [r["venue_name"] for r in again] == ["10km", "7km", "4km", "1km"]
    assert [r["venue_name"] for r in first] == [r["venue_name"] for r in again]
    person_sql = str(learned._PERSON.compile(dialect=app.state.engine.dialect))
    assert [" ".join(s.split()) for s in statements if not s.startswith(("BEGIN", "PRAGMA"))] == [
        " ".join(person_sql.split())
    ]


def test_person_rows_become_the_history_and_engagement_of_the_heuristic(monkeypatch):
    """`person` reads `_PERSON`'s rows in one pass: the engagement is `OwnEngagement.build`'s
    (every interaction; a venue the snapshot lacks has no position), the visits are the
    positive interactions at snapshot venues, in local time on either side of a DST change."""
    import uuid
    from datetime import UTC, datetime, timedelta

    from luna.errors import NotFound
    from luna.reco import learned, learned_context
    from luna.reco.index import OwnEngagement, VenueSnapshot

    ids = [uuid.UUID(int=i) for i in range(4)]
    snapshot = VenueSnapshot.build(
        1, [(v, f"v{i}", "bar", 40.0, -74.0, None, None) for i, v in enumerate(ids[:3])], {}
    )
    newer = ids[3]  # created after the snapshot
    spring = datetime(2025, 3, 9, 6, 30, tzinfo=UTC)  # New York moves to DST at 07:00 UTC
    rows = [
        (40.0, -74.0, ids[2], "like", 0, spring),
        (40.0, -74.0, ids[0], "view", 120, spring + timedelta(hours=1)),
        (40.0, -74.0, newer, "like", 30, spring),
        (40.0, -74.0, ids[2], "interest", 45, spring + timedelta(days=3)),
        (40.0, -74.0, ids[0], "like", 0, spring - timedelta(days=200)),
    ]
    home, history, own = learned.person(rows, snapshot)
    assert home == (40.0, -74.0)
    expected = OwnEngagement.build(snapshot, [(ids[2], 2, 45), (ids[0], 1, 120), (newer, 1, 30)])
    assert own.by_venue == expected.by_venue
    for name in ("positions", "positive", "dwell"):
        np.testing.assert_array_equal(getattr(own, name), getattr(expected, name))
    assert history.venue.tolist() == [2, 2, 0]
    utc = [int(t.timestamp()) for t in (spring, spring + timedelta(days=3))]
    utc.append(int((spring - timedelta(days=200)).timestamp()))
    assert history.utc.tolist() == utc
    assert (history.utc - history.local).tolist() == [5 * 3600, 4 * 3600, 4 * 3600]
    monkeypatch.setattr(learned_context, "FEW_TIMES", 0)  # the catalog's path (np.unique of hours)
    np.testing.assert_array_equal(learned_context.local_seconds(history.utc), history.local)
    no_interactions = learned.person([(None, None, None, None, None, None)], snapshot)
    assert no_interactions[0] is None and len(no_interactions[1].venue) == 0
    with pytest.raises(NotFound):
        learned.person([], snapshot)
