"""The moment a ranking is for (`at`): the learned features' time-of-week fit."""

import numpy as np
import pytest

from luna.config import RecoSettings
from luna.learning.features import COLUMN, TIME_BINS, PersonHistory, time_bin
from luna.learning.person_view import person_features
from tests.learning.conftest import DAY, MONDAY
from tests.learning.test_features import world

HOUR = 3600


def test_without_a_moment_time_fit_is_the_persons_habits_against_the_category():
    _, venues, context, *_, now = world()
    local = np.array([MONDAY + 9 * HOUR, MONDAY + DAY + 21 * HOUR, MONDAY + 5 * DAY + 13 * HOUR])
    history = PersonHistory.of_visits(np.array([1, 2, 3]), local, local, None)
    features = person_features(context, history, now, RecoSettings())
    mine = np.bincount(time_bin(local), minlength=TIME_BINS).astype(float)
    profile = context.category_profile
    expected = profile @ mine / (np.linalg.norm(profile, axis=1) * np.linalg.norm(mine))
    got = features[:, COLUMN["time_fit"]]
    np.testing.assert_allclose(got, expected[venues.category], rtol=1e-5)


@pytest.mark.parametrize(
    "moment",
    [MONDAY + 10 * HOUR, MONDAY + 4 * DAY + 22 * HOUR, MONDAY + 5 * DAY + 1 * HOUR],
    ids=["monday morning", "friday night", "saturday small hours"],
)
def test_a_moment_fits_each_category_to_its_time_of_week_bin(moment):
    """With a moment, its bin stands in for the person's profile: the share of the
    category's profile in that bin over the profile's norm (whatever the person's habits)."""
    _, venues, context, *_, now = world()
    local = np.array([MONDAY + 9 * HOUR, MONDAY + DAY + 21 * HOUR])
    history = PersonHistory.of_visits(np.array([1, 2]), local, local, None)
    features = person_features(context, history, now, RecoSettings(), moment_local=moment)
    profile = context.category_profile
    b = int(time_bin(np.array([moment]))[0])
    expected = profile[:, b] / np.linalg.norm(profile, axis=1)
    got = features[:, COLUMN["time_fit"]]
    np.testing.assert_allclose(got, expected[venues.category], rtol=1e-5)
    habits = person_features(context, history, now, RecoSettings())[:, COLUMN["time_fit"]]
    assert not np.allclose(got, habits)  # the moment, not the habits
    # Only time_fit depends on the moment.
    others = [c for c in range(features.shape[1]) if c != COLUMN["time_fit"]]
    full = person_features(context, history, now, RecoSettings())
    np.testing.assert_array_equal(features[:, others], full[:, others])
