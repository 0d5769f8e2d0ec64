"""The moment a ranking is for (`at`): the learned features' time-of-week fit."""

import numpy as np
import pytest

from luna.config import RecoSettings
from luna.learning.features import COLUMN, TIME_BINS, PersonHistory, time_bin, transitions
from luna.learning.person_view import MOMENT_COLUMNS, person_features
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
    # Of the features without a moment, only time_fit depends on it; its own are NaN
    # without one.
    full = person_features(context, history, now, RecoSettings())
    own = list(range(MOMENT_COLUMNS.start, MOMENT_COLUMNS.stop))
    others = [c for c in range(features.shape[1]) if c != COLUMN["time_fit"] and c not in own]
    np.testing.assert_array_equal(features[:, others], full[:, others])
    assert np.isnan(full[:, own]).all() and not np.isnan(features[:, own]).any()


def test_transitions_share_where_people_went_next():
    """Next visits by the same person less than 3 h later, to another venue, per venue."""
    user = np.array([0, 0, 0, 1, 1, 1, 2, 2])
    venue = np.array([0, 1, 1, 0, 2, 0, 0, 1])
    hour = np.array([0, 1, 2, 0, 2, 6, 0, 5])  # user 1's 0 came 4 h after 2; user 2's 1, 5 h
    shares = transitions(user, venue, MONDAY + hour * HOUR, 3).toarray()
    # from 0: to 1 (user 0) and to 2 (user 1); 1 -> 1 is the same venue; nothing from 1 or 2
    np.testing.assert_allclose(shares, [[0, 0.5, 0.5], [0, 0, 0], [0, 0, 0]])


def test_the_moment_features_count_the_persons_visits_at_that_moment():
    """Worked by hand: visits to venues 1, 2 and 3 at known times, the moment a Monday at
    10:00 a week after the first; recency from the moment, 120-day half-life."""
    _, venues, context, *_, _ = world()
    moment = MONDAY + 7 * DAY + 10 * HOUR
    local = np.array(
        [
            MONDAY + 9 * HOUR,  # venue 1: a Monday at 09:00 (same bin, within 1.5 h, weekday)
            MONDAY + 2 * DAY + 11 * HOUR,  # venue 1: a Wednesday at 11:00 (same bin and hour)
            MONDAY + 5 * DAY + 10 * HOUR,  # venue 2: a Saturday at 10:00 (hour only)
            moment - 2 * HOUR,  # venue 3: two hours before (Monday 08:00: same bin, weekday)
        ]
    )
    history = PersonHistory.of_visits(np.array([1, 1, 2, 3]), local, local, None)
    features = person_features(context, history, moment, RecoSettings(), moment_local=moment)
    weight = 0.5 ** ((moment - local) / DAY / 120.0)

    def column(name):
        return features[:, COLUMN[name]]

    np.testing.assert_allclose(
        column("own_frequency_slot")[[1, 2, 3]], [weight[0] + weight[1], 0, weight[3]], rtol=1e-5
    )
    np.testing.assert_allclose(
        column("own_frequency_hour")[[1, 2, 3]], [weight[0] + weight[1], weight[2], 0], rtol=1e-5
    )
    np.testing.assert_allclose(
        column("own_frequency_weekday")[[1, 2, 3]], [weight[0], 0, weight[3]], rtol=1e-5
    )
    np.testing.assert_array_equal(
        column("own_visits_7d")[[1, 2, 3]], [1, 1, 1]
    )  # ages 2, 5 and 0 days; 7 excluded
    assert (column("own_frequency_slot")[[0, 4, 5]] == 0).all()  # never visited
    # 3 visits in the moment's bin (08:00-12:00 on weekdays): two at venue 1, one at 3
    category = venues.category
    in_bin = np.bincount(category[[1, 1, 3]], minlength=venues.n_categories) / 3
    np.testing.assert_allclose(column("category_slot_share"), in_bin[category], rtol=1e-6)
    b = int(time_bin(np.array([moment]))[0])
    np.testing.assert_allclose(column("venue_slot_share"), context.venue_profile[:, b], rtol=1e-6)
    np.testing.assert_allclose(column("hours_since_last_visit"), 2.0)
    # the last visit (venue 3) was 2 h before: where everyone went next from venue 3
    np.testing.assert_allclose(
        column("transition_share"), context.transitions[3].toarray().ravel(), rtol=1e-6
    )
    # a moment 4 h after the last visit: no transition
    later = person_features(context, history, moment + 2 * HOUR, RecoSettings(), moment + 2 * HOUR)
    assert (later[:, COLUMN["transition_share"]] == 0).all()
    assert later[0, COLUMN["hours_since_last_visit"]] == pytest.approx(4.0)


def test_visits_after_the_moment_do_not_count_as_the_last_one():
    """The served history keeps visits later than `at` (at age 0); the last visit, for the
    hours since it and the transition, is the latest not after the moment."""
    _, _, context, *_ = world()
    moment = MONDAY + 7 * DAY + 10 * HOUR
    local = np.array([moment - 5 * HOUR, moment + 3 * HOUR])
    history = PersonHistory.of_visits(np.array([1, 2]), local, local, None)
    features = person_features(context, history, moment, RecoSettings(), moment_local=moment)
    assert features[0, COLUMN["hours_since_last_visit"]] == pytest.approx(5.0)
    assert (features[:, COLUMN["transition_share"]] == 0).all()


def test_a_ranking_for_a_moment_uses_the_booster_trained_on_next_visits():
    """`at` (moment_local) switches the all-venues ranking to the `moment` booster; a list of
    new venues keeps the `new` booster with or without a moment."""
    import lightgbm as lgb

    from luna.learning.features import FEATURE_NAMES, N_FEATURES
    from luna.learning.ranker import RankerModel
    from luna.learning.serving import LearnedVenueRanker

    rng = np.random.default_rng(0)
    x = rng.random((400, N_FEATURES))
    params = {"objective": "lambdarank", "verbose": -1, "num_threads": 1, "min_data_in_leaf": 5}

    def booster(column):  # trees that favour one feature each
        data = lgb.Dataset(
            x, (x[:, column] > 0.7).astype(float), group=[40] * 10, feature_name=list(FEATURE_NAMES)
        )
        return lgb.train(params, data, num_boost_round=5)

    model = RankerModel(
        {
            "all": booster(COLUMN["venue_popularity"]),
            "new": booster(COLUMN["knn_score"]),
            "moment": booster(COLUMN["own_frequency_hour"]),
        }
    )
    ranker = LearnedVenueRanker(model)
    _, _, context, *_ = world()
    moment = MONDAY + 7 * DAY + 10 * HOUR
    local = np.array([MONDAY + 9 * HOUR, MONDAY + 2 * DAY + 20 * HOUR])
    history = PersonHistory.of_visits(np.array([1, 2]), local, local, None)
    for mode, at, expected in (
        ("all", None, "all"),
        ("all", moment, "moment"),
        ("new", moment, "new"),
    ):
        exclude = np.array([1, 2]) if mode == "new" else None
        result = ranker.score(context, history, moment, exclude, mode, moment_local=at)
        assert np.array_equal(
            result.candidate_scores, model.boosters[expected].predict(result.candidate_features)
        ), (mode, at)
