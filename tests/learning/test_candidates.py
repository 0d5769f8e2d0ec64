"""Serving computes the features of the candidates only: the same candidates, features and
ranking as computing the features of every venue (the reference functions)."""

import numpy as np
import pytest

from luna.config import RecoSettings
from luna.learning import candidates as stage
from luna.learning.candidates import candidate_positions, largest, person_candidates
from luna.learning.features import PersonHistory, VenueTable, build_context
from luna.learning.person_view import PersonView
from luna.learning.person_view import person_features as every_venue
from luna.learning.ranker import cascade_scores
from luna.learning.serving import LearnedVenueRanker, top
from tests.learning.conftest import DAY, MONDAY
from tests.learning.test_model_file import tiny_model

SETTINGS = RecoSettings()


def city(seed: int, n: int = 2500, people: int = 150):
    """Venues in a few dense neighbourhoods of a 30 km city, and a log of visits: the
    neighbourhoods make the bounds of the candidate stage matter."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform([40.6, -74.1], [40.85, -73.8], (12, 2))
    hood = rng.integers(0, len(centres), n)
    spread = rng.normal(0, 0.01, (n, 2))
    venues = VenueTable(
        centres[hood, 0] + spread[:, 0],
        centres[hood, 1] + spread[:, 1] * 1.3,
        rng.integers(0, 8, n).astype(np.int32),
        8,
    )
    m = 20 * n
    user = rng.integers(0, people, m)
    popular = rng.permutation(1.0 / np.arange(1, n + 1))
    venue = rng.choice(n, m, p=popular / popular.sum())
    utc = MONDAY + np.sort(rng.integers(0, 90 * DAY, m))
    now = int(MONDAY + 90 * DAY)
    context = build_context(venues, user, venue, utc, utc, rng.random(m) < 0.8, now)
    return rng, context, user, venue, utc, now


def history(rng, user, venue, utc, person: int, home: bool) -> PersonHistory:
    mine = user == person
    return PersonHistory(
        venue[mine],
        utc[mine],
        utc[mine],
        rng.random(mine.sum()) < 0.8,
        rng.integers(0, 400, mine.sum()),
        (40.74, -73.96) if home else None,
    )


def test_largest_keeps_positive_values_and_breaks_ties_by_position():
    values = np.array([3.0, 1.0, 2.0, 2.0, 0.0, np.nan, 2.0])
    positions = np.array([10, 11, 12, 13, 14, 15, 16])
    assert sorted(largest(values, positions, 3).tolist()) == [10, 12, 13]
    assert sorted(largest(values, positions, 10).tolist()) == [10, 11, 12, 13, 16]


def test_features_of_some_venues_are_the_rows_of_every_venue():
    rng, context, user, venue, utc, now = city(1, n=600)
    for person in range(10):
        h = history(rng, user, venue, utc, person, home=person % 2 == 0)
        full = every_venue(context, h, now, SETTINGS)
        at = rng.choice(len(full), 80, replace=False)
        rows = PersonView(context, h, now, SETTINGS).features(at)
        np.testing.assert_array_equal(rows, full[at])  # bit for bit, NaN where NaN


@pytest.mark.parametrize("seed", [2, 3])
def test_the_candidate_stage_is_the_rule_on_every_venue(monkeypatch, seed):
    """The cheap stage (bounds, shortlists, sparse signals) picks exactly the candidates
    that the rule picks from the features of every venue, with and without exclusions."""
    monkeypatch.setattr(stage, "EXACT_BELOW", 0)  # small catalogs skip the cheap stage
    rng, context, user, venue, utc, now = city(seed)
    n = len(context.venues)
    exact_sizes = []
    original = PersonView.area

    def area(self, at, nearest=True):  # how many venues the stage computed the density of
        exact_sizes.append(len(at))
        return original(self, at, nearest)

    monkeypatch.setattr(PersonView, "area", area)
    for person in range(40):
        h = history(rng, user, venue, utc, person, home=person % 3 != 0)
        full = every_venue(context, h, now, SETTINGS)
        view = PersonView(context, h, now, SETTINGS)
        visited = np.unique(h.venue)
        filtered = np.flatnonzero(context.venues.category != person % 8)  # e.g. categories=
        for exclude in (None, visited, filtered):
            expected = candidate_positions(full, exclude)
            excluded = None
            if exclude is not None:
                excluded = np.zeros(n, dtype=bool)
                excluded[exclude] = True
            np.testing.assert_array_equal(person_candidates(view, excluded), expected)
    assert min(exact_sizes) < n / 4  # the bounds did spare most of the catalog


def test_serving_ranks_as_the_cascade_over_every_venue(tmp_path, monkeypatch):
    """`VenueScores.scores` is `cascade_scores` on the feature matrix of every venue, and
    `top(k)` its best k, for k within and beyond the candidates."""
    monkeypatch.setattr(stage, "EXACT_BELOW", 0)
    path = tmp_path / "m.json"
    tiny_model().save(path)
    ranker = LearnedVenueRanker.load(path, SETTINGS)
    assert ranker is not None
    rng, context, user, venue, utc, now = city(4, n=1500)
    n = len(context.venues)
    for person in range(12):
        h = history(rng, user, venue, utc, person, home=person % 2 == 0)
        full = every_venue(context, h, now, SETTINGS)
        for exclude, mode in ((None, "all"), (np.unique(h.venue), "new")):
            result = ranker.score(context, h, now, exclude, mode)
            booster = ranker.model.boosters[mode]
            expected, candidates = cascade_scores(booster, full, exclude)
            np.testing.assert_array_equal(result.candidates, candidates)
            for k in (10, len(candidates) + 25):
                best = result.top(k)
                np.testing.assert_array_equal(best, top(expected, k))
                np.testing.assert_array_equal(result.features_at(best), full[best])
                np.testing.assert_array_equal(result.scores_at(best), expected[best])
            np.testing.assert_array_equal(result.scores, expected)
    assert n > 0
