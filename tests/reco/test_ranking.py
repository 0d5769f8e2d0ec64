"""The one vector form of SPEC §3 (`heuristic.score_venues`, fed a snapshot by
`luna.reco.ranking`) gives the reference's answers (tests/reco/reference.py, a plain
transcription): same venues in the same order, scores and features within 1e-9.

Two layers: the pure ranking functions on many hypothesis worlds (fast), and the whole route
(database, snapshot, response) on fewer worlds per backend.
"""

import uuid
from collections import Counter, defaultdict
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luna.config import RecoSettings
from luna.reco import ranking, reasons
from luna.reco.constraints import VenueConstraints
from luna.reco.index import OwnEngagement, VenueSnapshot
from tests.reco.reference import POSITIVE, popularity_buckets, venue_scores

TOL = 1e-9

# Few distinct coordinates and categories: hypothesis then builds ties of every kind
# (same place, same score, nobody liked anything) as well as spread-out worlds.
coordinates = st.one_of(
    st.sampled_from([40.70, 40.71, 40.75, 41.0]),
    st.floats(min_value=40.5, max_value=41.0, allow_nan=False),
)
longitudes = st.one_of(
    st.sampled_from([-74.0, -73.99, -73.9]),
    st.floats(min_value=-74.2, max_value=-73.7, allow_nan=False),
)
homes = st.one_of(st.none(), st.tuples(coordinates, longitudes))


@st.composite
def worlds(draw: st.DrawFn) -> dict[str, Any]:
    n_venues = draw(st.integers(0, 12))
    venue_ids = draw(
        st.lists(st.integers(1, 2**20), min_size=n_venues, max_size=n_venues, unique=True)
    )
    venues = [
        {
            "id": str(uuid.UUID(int=vid)),
            "name": f"v{vid}",
            "lat": draw(coordinates),
            "lng": draw(longitudes),
            "category": draw(st.sampled_from(["bar", "cafe", None])),
        }
        for vid in venue_ids
    ]
    users = [
        {"id": str(uuid.UUID(int=2**40 + i)), "home": draw(homes)}
        for i in range(draw(st.integers(1, 3)))
    ]
    interactions = []
    if venues:
        interactions = draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "user_id": st.sampled_from([u["id"] for u in users]),
                        "venue_id": st.sampled_from([v["id"] for v in venues]),
                        "interaction_type": st.sampled_from(["view", "interest", "like"]),
                        "dwell_time_seconds": st.sampled_from([0, 0, 1, 60, 150, 299, 300, 4000]),
                    }
                ),
                max_size=30,
            )
        )
    return {"venues": venues, "users": users, "interactions": interactions}


def world_snapshot(world: dict[str, Any]) -> VenueSnapshot:
    """The world's venue index, from the same aggregates the service reads from SQL."""
    positives = Counter(
        uuid.UUID(i["venue_id"]) for i in world["interactions"] if i["interaction_type"] in POSITIVE
    )
    return VenueSnapshot.build(
        0,
        [
            (uuid.UUID(v["id"]), v["name"], v["category"], v["lat"], v["lng"], None, None)
            for v in world["venues"]
        ],
        positives,
    )


def own_engagement(
    world: dict[str, Any], snapshot: VenueSnapshot, user: dict[str, Any]
) -> OwnEngagement:
    own: dict[uuid.UUID, list[int]] = defaultdict(lambda: [0, 0])
    for i in world["interactions"]:
        if i["user_id"] == user["id"]:
            own[uuid.UUID(i["venue_id"])][0] += i["interaction_type"] in POSITIVE
            own[uuid.UUID(i["venue_id"])][1] += i["dwell_time_seconds"]
    return OwnEngagement.build(snapshot, [(v, p, d) for v, (p, d) in own.items()])


def index_ranking(world: dict[str, Any], user: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    """The ranking's answer."""
    snapshot = world_snapshot(world)
    engagement = own_engagement(world, snapshot, user)
    scores = ranking.snapshot_scores(snapshot, user["home"], engagement, RecoSettings())
    return [
        {
            "venue_id": str(snapshot.ids[i]),
            "score": float(scores.score[i]),
            "distance_km": scores.distance_at(i),
            "features": {
                "spatial": float(scores.spatial[i]),
                "preference": float(scores.preference[i]),
                "popularity": float(scores.popularity[i]),
            },
        }
        for i in ranking.top_positions(scores, None, limit).tolist()
    ]


def assert_same_ranking(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert [r["venue_id"] for r in got] == [r["venue_id"] for r in want]
    for g, w in zip(got, want, strict=True):
        assert g["score"] == pytest.approx(w["score"], abs=TOL, rel=TOL)
        if w["distance_km"] is None:
            assert g["distance_km"] is None
        else:
            assert g["distance_km"] == pytest.approx(w["distance_km"], abs=TOL, rel=TOL)
        for name, value in w["features"].items():
            assert g["features"][name] == pytest.approx(value, abs=TOL, rel=TOL)


def reference_user(user: dict[str, Any]) -> dict[str, Any]:
    home = user["home"]
    return {
        "id": user["id"],
        "home_lat": home[0] if home else None,
        "home_lng": home[1] if home else None,
    }


@settings(max_examples=300, deadline=None)
@given(world=worlds(), limit=st.sampled_from([1, 3, 100]))
def test_ranking_functions_match_the_reference(world, limit):
    for user in world["users"]:
        want = venue_scores(reference_user(user), world["venues"], world["interactions"])
        assert_same_ranking(index_ranking(world, user, limit), want[:limit])


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds())
def test_route_matches_the_reference(client, app_cache, db_url, world):
    """Through HTTP and the database: users, venues and interactions created by the API."""
    app_cache.empty(db_url)
    for v in world["venues"]:
        body = {k: v[k] for k in ("id", "name", "lat", "lng", "category")}
        assert client.post("/venues/", json=body).status_code == 201, body
    for i, u in enumerate(world["users"]):
        home = {"home_lat": u["home"][0], "home_lng": u["home"][1]} if u["home"] else {}
        body = {"id": u["id"], "handle": f"user{i}", "name": f"User {i}", **home}
        assert client.post("/users/", json=body).status_code == 201, body
    if world["interactions"]:
        response = client.post("/interactions/batch", json={"interactions": world["interactions"]})
        assert response.status_code == 201, response.text
    for user in world["users"]:
        want = venue_scores(reference_user(user), world["venues"], world["interactions"])
        got = client.get(f"/reco/venues/{user['id']}", params={"limit": 100}).json()
        assert_same_ranking(got, want[:100])


@settings(max_examples=300, deadline=None)
@given(
    world=worlds(),
    limit=st.sampled_from([1, 2, 5]),
    constraints=st.builds(
        VenueConstraints,
        max_distance_km=st.one_of(st.none(), st.sampled_from([0.5, 5.0, 30.0])),
        categories=st.one_of(st.none(), st.just(frozenset({"bar"}))),
        exclude_visited=st.booleans(),
    ),
    weights=st.sampled_from([(0.4, 0.4, 0.2), (0.0, 0.5, 0.5), (1.0, 0.0, 0.0)]),
)
def test_pruned_ranking_is_the_exhaustive_one(world, limit, constraints, weights):
    """`best_positions` scores the near, popular and own venues first and skips the rest only
    when provably out of reach: with tiny pruning constants (so that it prunes on these small
    worlds) its answer is still the full scan's."""
    reco = RecoSettings(
        venue_weight_spatial=weights[0],
        venue_weight_preference=weights[1],
        venue_weight_popularity=weights[2],
    )
    snapshot = world_snapshot(world)
    for user in world["users"]:
        if constraints.max_distance_km is not None and user["home"] is None:
            continue  # refused by the route before ranking
        own = own_engagement(world, snapshot, user)
        full = ranking.snapshot_scores(snapshot, user["home"], own, reco)
        mask = ranking.admitted(snapshot, full, constraints, own)
        want = ranking.top_positions(full, mask, limit)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(ranking, "PRUNE_FROM", 0)
            patch.setattr(ranking, "MOST_POPULAR", 1)
            patch.setattr(ranking, "NEAR_KM", 2.0)
            got, scores = ranking.best_positions(
                snapshot, user["home"], own, reco, constraints, limit
            )
        assert got.tolist() == want.tolist()
        assert scores.score.tolist() == full.score[want].tolist()


@given(st.lists(st.integers(min_value=0, max_value=40), max_size=300))
def test_popularity_buckets_in_vector_form_match_the_reference(counts):
    """The snapshot's "top N%" buckets equal the reference's, ties and zeros included (small
    counts make many ties and shares right at a bucket's edge)."""
    ids = [str(uuid.UUID(int=i + 1)) for i in range(len(counts))]
    expected = popularity_buckets(dict(zip(ids, counts, strict=True)))
    found = reasons.popularity_bucket_array(np.array(counts, dtype=np.int64))
    assert [int(b) for b in found] == [expected.get(vid, 0) for vid in ids]
