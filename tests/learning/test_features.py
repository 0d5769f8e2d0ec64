import uuid

import numpy as np
import pytest

from luna.config import RecoSettings
from luna.learning.features import (
    COLUMN,
    FEATURE_NAMES,
    PersonHistory,
    VenueTable,
    build_context,
)
from luna.learning.person_view import person_features
from tests.learning.conftest import DAY, MONDAY
from tests.reco.reference import venue_scores


def world(seed: int = 3, n: int = 60):
    rng = np.random.default_rng(seed)
    venues = VenueTable(
        40.70 + rng.random(n) * 0.1, -74.0 + rng.random(n) * 0.1, rng.integers(0, 5, n), 5
    )
    m = 400
    user = rng.integers(0, 20, m)
    venue = rng.integers(0, n, m)
    utc = MONDAY + np.sort(rng.integers(0, 60 * DAY, m))
    positive = rng.random(m) < 0.7
    now = int(MONDAY + 60 * DAY)
    context = build_context(venues, user, venue, utc, utc, positive, now)
    return rng, venues, context, user, venue, utc, positive, now


@pytest.mark.parametrize("with_home", [True, False])
def test_spec_features_agree_with_the_reference(with_home: bool):
    """The SPEC §3 columns the ranker learns from are the plain transcription's terms
    (tests/reco/reference.py), popularity counted from everybody's positive interactions."""
    rng, venues, context, user, venue, utc, positive, now = world()
    settings = RecoSettings()
    mine = user == 4
    dwell = np.where(mine, rng.integers(0, 400, len(user)), 0)
    home = (40.74, -73.96) if with_home else None
    history = PersonHistory(venue[mine], utc[mine], utc[mine], positive[mine], dwell[mine], home)
    features = person_features(context, history, now, settings)

    ids = [str(uuid.UUID(int=i + 1)) for i in range(len(venues))]
    plain_venues = [
        {"id": ids[i], "lat": float(venues.lat[i]), "lng": float(venues.lng[i])}
        for i in range(len(venues))
    ]
    interactions = [
        {
            "user_id": str(u),
            "venue_id": ids[v],
            "interaction_type": "like" if p else "view",
            "dwell_time_seconds": int(d),
        }
        for u, v, p, d in zip(
            user.tolist(), venue.tolist(), positive.tolist(), dwell.tolist(), strict=True
        )
    ]
    person = {
        "id": "4",
        "home_lat": home[0] if home else None,
        "home_lng": home[1] if home else None,
    }
    expected = {r["venue_id"]: r for r in venue_scores(person, plain_venues, interactions)}
    for i, vid in enumerate(ids):
        want = expected[vid]
        assert features[i, COLUMN["spec_score"]] == pytest.approx(want["score"], abs=1e-6)
        for term in ("spatial", "preference", "popularity"):
            got = features[i, COLUMN[f"spec_{term}"]]
            assert got == pytest.approx(want["features"][term], abs=1e-6)
        if want["distance_km"] is None:
            assert np.isnan(features[i, COLUMN["dist_home_km"]])
        else:
            assert features[i, COLUMN["dist_home_km"]] == pytest.approx(want["distance_km"], 1e-5)


def test_features_of_a_person_without_history():
    _, venues, context, *_, now = world()
    empty = np.zeros(0, np.int64)
    history = PersonHistory(empty, empty, empty, np.zeros(0, bool), empty, None)
    features = person_features(context, history, now, RecoSettings())
    assert features.shape == (len(venues), len(FEATURE_NAMES))
    assert (features[:, COLUMN["own_visits"]] == 0).all()
    assert (features[:, COLUMN["knn_score"]] == 0).all()


def test_own_history_shapes_the_personal_features():
    _, venues, context, _user, _venue, _utc, _positive, now = world()
    history = PersonHistory.of_visits(
        np.array([7, 7, 9]), np.array([now - DAY, now - 2 * DAY, now - 40 * DAY]),
        np.array([now - DAY, now - 2 * DAY, now - 40 * DAY]), None,
    )  # fmt: skip
    features = person_features(context, history, now, RecoSettings())
    assert features[7, COLUMN["own_visits"]] == pytest.approx(np.log1p(2))
    assert features[7, COLUMN["days_since_visit"]] == pytest.approx(1.0)
    assert features[7, COLUMN["own_recency"]] > features[9, COLUMN["own_recency"]]
    assert features[7, COLUMN["dist_area_km"]] == pytest.approx(0.0)
    assert features[0, COLUMN["repeat_propensity"]] == pytest.approx(1 / 3)
    same = venues.category == venues.category[7]
    assert (features[same, COLUMN["category_affinity"]] > 0).all()


def test_own_frequency_features_of_a_tiny_history():
    """The repeat baselines' view of a venue: recency-weighted frequency (half-life 120
    days), its share of the person's best, its rank, the share of visits, the last 28 days."""
    _, _, context, *_, now = world()
    ages = np.array([0, 120, 240, 10, 90, 60]) * DAY
    history = PersonHistory.of_visits(np.array([7, 7, 7, 9, 9, 12]), now - ages, now - ages, None)
    features = person_features(context, history, now, RecoSettings())
    frequency = {7: 1 + 0.5 + 0.25, 9: 2 ** (-10 / 120) + 2 ** (-90 / 120), 12: 2 ** (-0.5)}
    for v, want in frequency.items():
        assert features[v, COLUMN["own_frequency"]] == pytest.approx(want, rel=1e-6)
        assert features[v, COLUMN["own_frequency_share"]] == pytest.approx(want / 1.75, rel=1e-6)
    assert features[[7, 9, 12], COLUMN["own_frequency_rank"]].tolist() == [1.0, 2.0, 3.0]
    assert features[[7, 9, 12], COLUMN["own_share"]] == pytest.approx([0.5, 1 / 3, 1 / 6])
    assert features[[7, 9, 12], COLUMN["own_visits_28d"]].tolist() == [1.0, 1.0, 0.0]
    never = 0
    assert features[never, COLUMN["own_frequency"]] == 0.0
    assert features[never, COLUMN["own_frequency_share"]] == 0.0
    assert np.isnan(features[never, COLUMN["own_frequency_rank"]])
    assert features[never, COLUMN["own_share"]] == 0.0
    assert features[never, COLUMN["own_visits_28d"]] == 0.0


def test_own_frequency_rank_ties_share_the_best_rank():
    _, _, context, *_, now = world()
    ages = np.array([5, 5, 50]) * DAY
    history = PersonHistory.of_visits(np.array([3, 4, 5]), now - ages, now - ages, None)
    features = person_features(context, history, now, RecoSettings())
    assert features[[3, 4, 5], COLUMN["own_frequency_rank"]].tolist() == [1.0, 1.0, 3.0]
