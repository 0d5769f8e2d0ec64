"""The repeat-aware baselines of `luna eval` on hand-made logs where the right ranking is
known, and the bootstrap intervals on constructed cases."""

import numpy as np
import pytest

from luna.learning import baselines
from luna.learning.catalog import build_catalog
from luna.learning.evaluate import evaluate_model, repeat_explore, tune
from luna.learning.metrics import bootstrap_mean, paired_bootstrap, top_k
from luna.learning.split import Snapshot
from luna.learning.windows import Window, build_window
from tests.learning.conftest import DAY, MONDAY, make_log

# Every venue a going-out place, close together (distance plays no part here).
PLACES = {
    key: (40.70 + 0.001 * key, -74.00, category)
    for key, category in enumerate(
        ["Bar", "Coffee Shop", "Park", "Museum", "Café", "Bakery", "Pizza Place", "Theater"],
        start=10,
    )
}
CUTOFF = MONDAY + 200 * DAY
NOON = 12 * 3600


def window_of(events: list[tuple[int, int, int]]) -> tuple[Window, dict[int, int]]:
    """The window at CUTOFF (labels: the week after) and each venue key's catalog position."""
    log = make_log(events, PLACES)
    catalog = build_catalog(log)
    window = build_window(log, catalog, Snapshot(CUTOFF, CUTOFF + 7 * DAY))
    keys = log.venue_keys.tolist()
    position = {key: int(catalog.position[keys.index(key)]) for key in PLACES}
    assert all(p >= 0 for p in position.values())
    return window, position


def visits(user: int, venue: int, days_before: list[float]) -> list[tuple[int, int, int]]:
    return [(user, venue, CUTOFF - int(d * DAY) + NOON - DAY) for d in days_before]


def user_code(window: Window, events_user_order: int) -> int:
    return sorted(window.people)[events_user_order]


def ranked(model, window: Window, user: int, k: int = 4) -> list[int]:
    model.fit(window)
    return top_k(model.scores(window, user), k).tolist()


def test_personal_frequency_ranks_the_most_visited_first():
    events = visits(1, 10, [50, 40, 30]) + visits(1, 11, [5]) + visits(1, 12, [60, 55])
    # someone else makes 13 the most popular venue, and 11 the second
    events += visits(2, 13, [3, 4, 5, 6]) + visits(2, 11, [7, 8])
    events += [(1, 14, CUTOFF + DAY), (2, 14, CUTOFF + DAY)]  # labels: both are evaluated
    window, at = window_of(events)
    person = user_code(window, 0)
    assert ranked(baselines.PersonalFrequency(), window, person) == [at[10], at[12], at[11], at[13]]


def test_recency_weighting_prefers_the_recent_venue():
    # 10: three visits long ago; 11: two visits last week
    events = visits(1, 10, [150, 140, 130]) + visits(1, 11, [3, 2]) + [(1, 14, CUTOFF + DAY)]
    window, at = window_of(events)
    person = user_code(window, 0)
    assert ranked(baselines.RecencyFrequency(half_life_days=14), window, person, 2) == [
        at[11],
        at[10],
    ]
    # a half-life far longer than the history counts visits: 10 first again
    assert ranked(baselines.RecencyFrequency(half_life_days=1e6), window, person, 2) == [
        at[10],
        at[11],
    ]
    assert ranked(baselines.PersonalFrequency(), window, person, 2) == [at[10], at[11]]


def test_recency_weighting_breaks_a_tie_of_counts_towards_the_recent_venue():
    # same count; the older venue comes first in the catalog and is more popular
    events = visits(1, 10, [100, 90]) + visits(1, 11, [20, 10]) + visits(2, 10, [5, 6, 7])
    events += [(1, 14, CUTOFF + DAY)]
    window, at = window_of(events)
    person = user_code(window, 0)
    assert ranked(baselines.PersonalFrequency(), window, person, 2) == [at[10], at[11]]
    assert ranked(baselines.RecencyFrequency(half_life_days=120), window, person, 2) == [
        at[11],
        at[10],
    ]


def test_tiny_recency_weights_still_rank_own_venues_above_popular_ones():
    # half-life 1 day, visits 160 and 150 days old: weights 2^-160 and 2^-150, far below the
    # popularity tie-break and below float64's resolution next to 1; still told apart
    events = visits(1, 10, [160]) + visits(1, 11, [150]) + visits(2, 12, [1, 2, 3])
    events += [(1, 14, CUTOFF + DAY)]
    window, at = window_of(events)
    person = user_code(window, 0)
    assert ranked(baselines.RecencyFrequency(half_life_days=1), window, person, 3) == [
        at[11],
        at[10],
        at[12],
    ]


def co_visit_log() -> list[tuple[int, int, int]]:
    """Person 1 goes only to 10 (three times); four others go to 10 and 11 together."""
    events = visits(1, 10, [30, 20, 10])
    for other in (2, 3, 4, 5):
        events += visits(other, 10, [25]) + visits(other, 11, [24])
    return [*events, (1, 12, CUTOFF + DAY)]


def test_item_knn_with_own_venues_keeps_the_persons_venue_first():
    window, at = window_of(co_visit_log())
    person = user_code(window, 0)
    # the plain item-kNN has no self-similarity: the person's own 10 falls below 11
    plain = ranked(baselines.ItemKNN(), window, person, 2)
    assert plain == [at[11], at[10]]
    kept = ranked(baselines.ItemKNNOwn(own_weight=1.0), window, person, 2)
    assert kept == [at[10], at[11]]
    # the neighbours still count: 11 stays above venues nobody near the person visited
    scores = baselines.ItemKNNOwn(own_weight=1.0).scores(window, person)
    assert scores[at[11]] > scores[at[13]] and scores[at[11]] > scores[at[12]]


def test_tifu_vectors_by_hand():
    # person 1: baskets (days) 3, 2, 1 days before the cutoff; groups of 2 from the latest:
    # {day -2, day -1}, then {day -3} alone
    events = visits(1, 10, [3]) + visits(1, 11, [2]) + visits(1, 11, [2]) + visits(1, 12, [1])
    events += [(1, 13, CUTOFF + DAY)]
    window, at = window_of(events)
    person = user_code(window, 0)
    vector = baselines.tifu_vectors(window, within_decay=0.9, group_decay=0.7, group_size=2)
    row = vector[person].toarray().ravel()
    # latest group (2 baskets, 2 groups): latest basket 1 / (2 x 2), the one before 0.9 / 4;
    # oldest group (1 basket): 0.7 / (1 x 2); a venue twice in one basket counts once
    assert row[at[12]] == pytest.approx(1 / 4)
    assert row[at[11]] == pytest.approx(0.9 / 4)
    assert row[at[10]] == pytest.approx(0.7 / 2)
    assert row.sum() == pytest.approx(1 / 4 + 0.9 / 4 + 0.7 / 2)


def tifu_log() -> list[tuple[int, int, int]]:
    """Person 1 goes to 10; person 2 (like them) to 10 and 11; 3 and 4 (unlike them) often
    to 12 and 13, which are the most popular."""
    events = visits(1, 10, [9, 5, 2])
    events += visits(2, 10, [8, 4, 1]) + visits(2, 11, [8, 4, 1])
    for other in (3, 4):
        events += visits(other, 12, [9, 8, 7, 6, 5, 4]) + visits(other, 13, [9, 8, 7, 6, 5])
    return [*events, (1, 14, CUTOFF + DAY)]


def test_tifu_knn_own_history_dominates_with_alpha_one():
    window, at = window_of(tifu_log())
    person = user_code(window, 0)
    model = baselines.TIFUKNN(alpha=1.0, k=1)
    model.fit(window)
    scores = model.scores(window, person)
    assert top_k(scores, 1).tolist() == [at[10]]
    # nothing of the neighbour: 11 is only ordered by popularity, below the popular 12, 13
    assert scores[at[11]] < scores[at[12]] < scores[at[10]]


def test_tifu_knn_blends_in_the_nearest_persons_venues():
    window, at = window_of(tifu_log())
    person = user_code(window, 0)
    assert ranked(baselines.TIFUKNN(alpha=0.5, k=1), window, person, 2) == [at[10], at[11]]
    # with everyone as neighbours, the popular venues of 3 and 4 come before 11
    everyone = ranked(baselines.TIFUKNN(alpha=0.5, k=3), window, person, 4)
    assert everyone[0] == at[10]
    assert everyone.index(at[12]) < everyone.index(at[11])


def test_tuning_keeps_the_best_candidate_on_validation():
    events = visits(1, 10, [150, 140, 130]) + visits(1, 11, [3, 2]) + [(1, 11, CUTOFF + DAY)]
    window, _ = window_of(events)
    family = tune(
        "recency",
        [baselines.RecencyFrequency(1e6), baselines.RecencyFrequency(7)],
        window,
        len(window.venues),
    )
    assert family.best["all"].half_life_days == 7
    # "new" leaves both venues out: every candidate ties, so the "all" choice is kept
    assert family.best["new"] is family.best["all"]
    assert family.name == "recency (half-life=7 days)"


def test_repeat_explore_split_and_per_person_scores():
    events = visits(1, 10, [10]) + visits(2, 11, [10])
    # person 1: 10 twice (repeat) and 12 once (new); person 2: only 13 (new)
    events += [(1, 10, CUTOFF + DAY), (1, 10, CUTOFF + 2 * DAY), (1, 12, CUTOFF + DAY)]
    events += [(2, 13, CUTOFF + DAY)]
    window, _ = window_of(events)
    split = repeat_explore(window)
    assert split["checkins"] == 4
    assert split["repeat_checkin_share"] == pytest.approx(2 / 4)
    assert split["pairs"] == 3
    assert split["repeat_pair_share"] == pytest.approx(1 / 3)
    assert split["people_only_new"] == 1
    per_person: dict[str, list[float]] = {}
    result = evaluate_model(
        window,
        lambda w, u, v: baselines.PersonalFrequency().scores(w, u),
        len(window.venues),
        per_person=per_person,
    )
    assert len(per_person["all"]) == 2 and len(per_person["new"]) == 2
    assert np.mean(per_person["all"]) == pytest.approx(result["all"]["ndcg@10"])
    assert np.mean(per_person["new"]) == pytest.approx(result["new"]["ndcg@10"])


def test_paired_bootstrap_covers_the_true_difference_and_uses_the_pairs():
    rng = np.random.default_rng(0)
    people = 2_000
    base = rng.uniform(0.0, 1.0, people)  # people differ a lot
    gain = 0.01 + rng.normal(0.0, 0.02, people)  # the gain per person is small
    learned = base + gain
    mean, low, high = paired_bootstrap(learned, base, seed=42)
    assert mean == pytest.approx(gain.mean())
    assert low < 0.01 < high  # the true mean difference
    assert low > 0.0  # pairing removes the spread between people
    assert high - low < 0.005
    # resampling each model's people separately would not see the gain: the intervals overlap
    low_learned = bootstrap_mean(learned, seed=42)[1]
    high_base = bootstrap_mean(base, seed=43)[2]
    assert low_learned < high_base


def test_bootstrap_is_deterministic_under_the_seed():
    values = np.random.default_rng(1).uniform(size=300)
    other = np.random.default_rng(2).uniform(size=300)
    assert paired_bootstrap(values, other, seed=7) == paired_bootstrap(values, other, seed=7)
    assert paired_bootstrap(values, other, seed=7) != paired_bootstrap(values, other, seed=8)
    mean, low, high = bootstrap_mean(values, seed=7)
    assert low < mean < high
    with pytest.raises(ValueError):
        paired_bootstrap(values, other[:10], seed=7)


def test_tifu_neighbours_by_euclidean_distance_or_by_cosine():
    import scipy.sparse as sp

    vectors = sp.csr_matrix(np.array([[1.0, 0.0, 0.0], [3.0, 3.0, 0.0], [0.0, 0.0, 0.5]]))
    # Euclidean: person 2 (distance 1.12) is nearer to person 0 than person 1 (3.6)
    euclidean = baselines.tifu_predict(vectors, alpha=0.5, k=1, metric="euclidean")
    assert euclidean[0].toarray().ravel() == pytest.approx([0.5, 0.0, 0.25])
    # cosine: person 1 points the same way (0.71), person 2 not at all (0)
    cosine = baselines.tifu_predict(vectors, alpha=0.5, k=1, metric="cosine")
    assert cosine[0].toarray().ravel() == pytest.approx([2.0, 1.5, 0.0])
    with pytest.raises(ValueError):
        baselines.tifu_predict(vectors, alpha=0.5, k=1, metric="manhattan")
