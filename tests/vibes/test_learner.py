"""The vibe learner on hand-made behaviour (pure numpy)."""

import numpy as np
import pytest

from luna.vibes.learner import (
    NO_PEAK,
    PRIOR_VISITS,
    Behaviour,
    learn,
    peak_label,
    peaks,
    visitor_taste,
)
from luna.vibes.vocabulary import (
    DEFINING_PRIOR,
    VIBE_CATEGORIES,
    VIBE_INDEX,
    VIBE_NAMES,
    category_prior,
    check_vibes,
    defining,
    prior_matrix,
)

DAY = 86_400
# 1970-01-02 was a Friday: its 23:00, and the Saturday's 01:00 (still Friday night).
FRIDAY_23 = DAY + 23 * 3600
SATURDAY_01 = 2 * DAY + 3600
SATURDAY_NOON = 2 * DAY + 12 * 3600


def behaviour(events, n_venues, **extra):
    venue, user, local = (np.array(column, dtype=np.int64) for column in zip(*events, strict=True))
    return Behaviour(n_venues, venue, user, local, **extra)


def test_every_vibe_has_defining_categories_and_priors_in_0_1():
    for vibe in VIBE_NAMES:
        priors = VIBE_CATEGORIES[vibe]
        assert all(0 <= p <= 1 for p in priors.values())
        assert sum(p >= DEFINING_PRIOR for p in priors.values()) >= 3, vibe
    assert defining("playground", "family") and not defining("bar", "family")
    assert category_prior("an-unlisted-category").tolist() == [0.0] * len(VIBE_NAMES)
    assert category_prior(None) is None
    priors, known = prior_matrix(["bar", None, "unlisted"])
    assert known.tolist() == [True, False, True]
    assert priors[0, VIBE_INDEX["late-night"]] == 0.9


def test_check_vibes_names_the_unknown_and_lists_the_known():
    assert check_vibes(["loud", "chill"]) == ["loud", "chill"]
    with pytest.raises(ValueError, match="unknown vibe 'spooky'; known vibes: chill, lively"):
        check_vibes(["spooky"])
    with pytest.raises(ValueError, match="stands alone"):
        check_vibes(["auto", "loud"])


def test_a_venues_peak_is_its_busiest_day_and_part_of_the_day():
    b = behaviour(
        [(0, 1, FRIDAY_23), (0, 2, SATURDAY_01), (0, 3, SATURDAY_NOON), (1, 1, FRIDAY_23)], 2
    )
    found = peaks(b)
    assert peak_label(int(found[0])) == "Friday nights"
    assert found[1] == NO_PEAK  # one visit is not a habit
    assert peak_label(NO_PEAK) is None


def test_visitor_taste_leaves_the_venue_itself_out():
    """Venue 0 is a park; its visitor's only other visit is to a bar: the taste seen from
    the park is the bar's prior, not a mix with the park's own."""
    priors, known = prior_matrix(["park", "bar"])
    b = behaviour([(0, 0, SATURDAY_NOON), (1, 0, FRIDAY_23)], 2)
    taste = visitor_taste(b, priors, known)[:, : len(VIBE_NAMES)]
    assert taste[0].tolist() == pytest.approx(priors[1].tolist())
    assert taste[1].tolist() == pytest.approx(priors[0].tolist())


def test_profile_moves_from_the_prior_with_visits_and_unknown_venues_learn_from_behaviour():
    categories = ["bar", "bar", None, "park", "park"]
    priors, known = prior_matrix(categories)
    events = []
    for person in range(20):  # park-goers who also go to bar 1 and to the unknown venue 2
        events += [(3, person, SATURDAY_NOON), (4, person, SATURDAY_NOON)]
        events += [(1, person, SATURDAY_NOON), (2, person, SATURDAY_NOON)]
    profiles = learn(behaviour(events, 5), priors, known)
    outdoorsy, late = VIBE_INDEX["outdoorsy"], VIBE_INDEX["late-night"]
    assert profiles.scores[0].tolist() == pytest.approx(priors[0].tolist())  # never visited
    weight = 20 / (20 + PRIOR_VISITS)
    assert profiles.scores[1, outdoorsy] == pytest.approx(
        (1 - weight) * 0.0 + weight * profiles.behaviour[1, outdoorsy]
    )
    assert profiles.scores[1, outdoorsy] > 0.5
    assert profiles.scores[1, late] < priors[1, late]
    # Behaviour alone (too few known venues to fit on: the visitors' taste): two parks and
    # a bar besides it.
    assert profiles.scores[2, outdoorsy] == pytest.approx(2 / 3)
    assert ((profiles.scores >= 0) & (profiles.scores <= 1)).all()
    assert profiles.visits.tolist() == [0, 20, 20, 20, 20]


def test_dwell_and_party_size_are_features_when_known():
    """With enough known venues to fit on, long stays in big groups come out like the
    venues that have them."""
    rng = np.random.default_rng(0)
    categories = ["playground"] * 15 + ["tea-room"] * 15 + [None, None]
    priors, known = prior_matrix(categories)
    events, dwell = [], []
    for venue in range(32):
        family_like = venue < 15 or venue == 30
        for person in range(8):
            events.append((venue, int(rng.integers(0, 200)), SATURDAY_NOON + person * 60))
            dwell.append(7200.0 if family_like else 900.0)
    party = np.array([5.0 if (v < 15 or v == 30) else 1.5 for v in range(32)])
    profiles = learn(behaviour(events, 32, dwell=np.array(dwell), party_size=party), priors, known)
    family = VIBE_INDEX["family"]
    assert profiles.scores[30, family] > profiles.scores[31, family] + 0.3
