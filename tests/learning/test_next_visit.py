"""The next-visit task of `luna eval` (issue 17, point 4) on a hand-made log: which place
stands for `near`, what history each check-in sees, the metrics, and the baselines."""

import numpy as np
import pytest

from luna.config import RecoSettings
from luna.learning import moments, next_visit
from luna.learning.catalog import build_catalog
from luna.learning.features import COLUMN
from luna.learning.split import Snapshot
from luna.learning.windows import build_window
from tests.learning.conftest import DAY, MONDAY, make_log

HOUR = 3600
# Going-out venues on a north-south line, 0.01° (~1.1 km) apart.
PLACES = {
    key: (40.70 + 0.01 * (key - 10), -74.00, category)
    for key, category in enumerate(["Bar", "Coffee Shop", "Park", "Museum", "Café"], start=10)
}
START = MONDAY + 196 * DAY  # a Monday, 00:00 (local time = UTC in these logs)
END = START + 7 * DAY
HOME = (40.80, -74.00)


def build(events):
    log = make_log(events, PLACES)
    catalog = build_catalog(log)
    homes = np.full((log.n_users, 2), np.nan)
    homes[0] = HOME
    window = build_window(log, catalog, Snapshot(START, END), homes)
    keys = log.venue_keys.tolist()
    position = {key: int(catalog.position[keys.index(key)]) for key in PLACES}
    return log, catalog, window, position


def place(key: int) -> tuple[float, float]:
    return PLACES[key][0], PLACES[key][1]


EVENTS = [
    (1, 10, START - 10 * DAY),  # history before the window
    (1, 11, START + 9 * HOUR),  # case 0: previous check-in 10 days earlier -> home
    (1, 12, START + 11 * HOUR),  # case 1: previous 2 h earlier -> near = venue 11
    (1, 13, START + 14 * HOUR),  # case 2: previous exactly 3 h earlier -> home
    (1, 14, START + 14 * HOUR + 60),  # case 3: 1 minute later -> near = venue 13
    (2, 10, START + DAY),  # person 2 has nothing before the window: not evaluated
]


def test_near_is_the_previous_check_in_within_3_hours_else_home():
    log, catalog, window, at = build(EVENTS)
    task = moments.cases(log, catalog, START, END, window.homes, sample=None)
    assert [c.target for c in task] == [at[11], at[12], at[13], at[14]]
    assert [c.near for c in task] == [HOME, place(11), HOME, place(13)]
    assert [c.near_is_previous for c in task] == [False, True, False, True]
    assert [c.history.home for c in task] == [c.near for c in task]  # near stands in for home
    assert [c.utc for c in task] == [e[2] for e in EVENTS[1:5]]


def test_each_check_in_sees_only_the_history_strictly_before_it():
    events = [*EVENTS, (1, 10, START + 14 * HOUR)]  # same second as case 2: not before it
    log, catalog, window, at = build(events)
    task = moments.cases(log, catalog, START, END, window.homes, sample=None)
    by_target = {c.target: c for c in task}
    assert by_target[at[11]].history.venue.tolist() == [at[10]]
    assert by_target[at[12]].history.venue.tolist() == [at[10], at[11]]
    assert sorted(by_target[at[13]].history.venue.tolist()) == [at[10], at[11], at[12]]
    assert sorted(by_target[at[14]].history.venue.tolist()) == sorted(
        [at[10], at[10], at[11], at[12], at[13]]
    )
    for case in task:
        assert (case.history.utc < case.utc).all()


def test_the_sample_is_seeded_and_in_log_order():
    log, catalog, window, _ = build(EVENTS)
    first = moments.cases(log, catalog, START, END, window.homes, sample=2, seed=7)
    again = moments.cases(log, catalog, START, END, window.homes, sample=2, seed=7)
    assert [c.utc for c in first] == [c.utc for c in again]
    assert len(first) == 2 and first[0].utc < first[1].utc


def test_acc_and_mrr_at_k_are_exact():
    # ranks (0-based) of 5 cases; None = not in the top 10
    result = next_visit.metrics([0, 2, None, 9, 4])
    assert result["acc@1"] == pytest.approx(1 / 5)
    assert result["acc@5"] == pytest.approx(3 / 5)
    assert result["acc@10"] == pytest.approx(4 / 5)
    assert result["mrr@10"] == pytest.approx((1 + 1 / 3 + 1 / 10 + 1 / 5) / 5)
    assert result["cases"] == 5


def test_evaluate_finds_each_target_in_the_ranking():
    log, catalog, window, at = build(EVENTS)
    task = moments.cases(log, catalog, START, END, window.homes, sample=None)
    # a ranker that always answers 11, 12, 13, 10 (14 never)
    fixed = np.array([at[11], at[12], at[13], at[10]])
    result = next_visit.evaluate(window.context, task, lambda _context, _case: fixed)
    # targets 11, 12, 13, 14 -> ranks 0, 1, 2, absent
    assert result["acc@1"] == pytest.approx(1 / 4)
    assert result["acc@5"] == pytest.approx(3 / 4)
    assert result["mrr@10"] == pytest.approx((1 + 1 / 2 + 1 / 3) / 4)


def test_the_time_aware_baseline_prefers_a_venue_visited_in_the_same_slot():
    monday = START - 7 * DAY
    # 10: three Monday mornings; 11: two Monday evenings (20:00); all in the same week.
    events = [(1, 10, monday + 9 * HOUR + i * 60) for i in range(3)]
    events += [(1, 11, monday + 20 * HOUR + i * 60) for i in range(2)]
    events += [(1, 12, START + 20 * HOUR + 30 * 60)]  # the case: Monday 20:30
    log, catalog, window, at = build(events)
    (case,) = moments.cases(log, catalog, START, END, window.homes, sample=None)
    plain = next_visit.RecencyFrequency(half_life_days=60.0)
    timed = next_visit.RecencyFrequency(half_life_days=60.0, slot_boost=4.0)
    assert plain(window.context, case)[:2].tolist() == [at[10], at[11]]
    assert timed(window.context, case)[:2].tolist() == [at[11], at[10]]
    # on a Saturday at 20:30 (weekend: another bin) the boost does not apply
    saturday = moments.Case(
        case.user, case.target, case.utc + 5 * DAY, case.local + 5 * DAY, None, False,
        case.history,
    )  # fmt: skip
    assert timed(window.context, saturday)[:2].tolist() == [at[10], at[11]]


def test_nearest_and_the_heuristic_rank_from_near():
    log, catalog, window, at = build(EVENTS)
    task = moments.cases(log, catalog, START, END, window.homes, sample=None)
    from_11 = task[1]  # near = venue 11's place
    assert next_visit.nearest(window.context, from_11)[:3].tolist() == [at[11], at[10], at[12]]
    from_home = task[0]  # home at 40.80: venue 14 (40.74) is the closest
    assert next_visit.nearest(window.context, from_home)[0] == at[14]
    heuristic = next_visit.HeuristicNear(RecoSettings())
    assert heuristic(window.context, from_11)[0] in (at[10], at[11])


class _Recorder:
    """Stands in for LearnedVenueRanker: records what the adapter passes."""

    def __init__(self, answer):
        self.answer, self.calls = answer, []

    def score(self, context, history, now, exclude=None, mode="all", moment_local=None):
        self.calls.append((history, now, exclude, mode, moment_local))
        answer = self.answer

        class Result:
            def top(self, limit):
                return answer[:limit]

        return Result()


def test_the_learned_ranker_gets_at_and_near():
    log, catalog, window, at = build(EVENTS)
    task = moments.cases(log, catalog, START, END, window.homes, sample=None)
    recorder = _Recorder(np.array([at[12], at[11]]))
    ranked = next_visit.learned(recorder)(window.context, task[1])
    assert ranked.tolist() == [at[12], at[11]]
    history, now, exclude, mode, moment = recorder.calls[0]
    assert now == task[1].utc and moment == task[1].local
    assert history.home == place(11) and exclude is None and mode == "all"
    assert (history.utc < now).all()


def test_the_goal_is_10_percent_above_the_best_baseline():
    results = {
        "a": {"acc@10": 0.40, "mrr@10": 0.20},
        "b": {"acc@10": 0.30, "mrr@10": 0.22},
        next_visit.LEARNED: {"acc@10": 0.45, "mrr@10": 0.23},
    }
    checked = next_visit.goal(results)
    assert checked["checks"]["acc@10"]["best_baseline"] == "a"
    assert checked["checks"]["acc@10"]["met"] is True  # +12.5%
    assert checked["checks"]["mrr@10"]["best_baseline"] == "b"
    assert checked["checks"]["mrr@10"]["met"] is False  # +4.5%
    assert checked["met"] is False


def test_the_eval_section_ranks_every_model_and_writes_its_table_and_plot(tmp_path):
    val_start = START - 7 * DAY
    events = [
        (1, 10, val_start - 3 * DAY),
        (1, 11, val_start + DAY),  # a validation check-in
        *EVENTS[1:],
    ]
    log = make_log(events, PLACES)
    catalog = build_catalog(log)
    homes = np.full((log.n_users, 2), np.nan)
    homes[0] = HOME
    validation = build_window(log, catalog, Snapshot(val_start, START), homes)
    test = build_window(log, catalog, Snapshot(START, END), homes)
    keys = log.venue_keys.tolist()
    at = {key: int(catalog.position[keys.index(key)]) for key in PLACES}
    # the stub ranker always answers 12 first: right for 1 of the 4 test check-ins
    stub = _Recorder(np.array([at[12], at[11], at[13]]))
    section = next_visit.run(validation, test, stub, 120.0, RecoSettings())
    assert section["protocol"]["cases"] == 4 and section["validation_cases"] == 1
    assert len(stub.calls) == 4
    learned = section["results"][next_visit.LEARNED]
    assert learned["acc@1"] == pytest.approx(1 / 4)
    assert learned["acc@10"] == pytest.approx(3 / 4)
    assert len(section["slot_boost_tuning"]) == len(next_visit.SLOT_BOOST_GRID)
    table = next_visit.markdown(section)
    assert "| **learned ranker (at, near)** | 0.2500 |" in table
    next_visit.plot(section, tmp_path / "next_visit.png")
    assert (tmp_path / "next_visit.png").read_bytes()[:4] == b"\x89PNG"


def test_a_window_carries_its_moments_and_the_moment_booster_learns_from_them():
    """build_window draws the window's check-ins as next-visit cases (the same as
    `moments.cases`); `training_sets` makes one `moment` query of each, its label the venue
    visited, ranked at the check-in's time."""
    from luna.learning.ranker import training_sets

    log, catalog, window, position = build(EVENTS)
    expected = moments.cases(log, catalog, START, END, window.homes, sample=None)
    assert [(c.user, c.target, c.utc) for c in window.moments] == [
        (c.user, c.target, c.utc) for c in expected
    ]
    sets = training_sets([window], RecoSettings())["moment"]
    # every venue is a candidate in so small a catalog: one query per case, one positive
    assert len(sets) == len(window.moments) == 4
    for labels, rows in zip(sets.labels, sets.features, strict=True):
        assert labels.sum() == 1
        assert not np.isnan(rows[:, COLUMN["own_frequency_slot"]]).any()  # at its moment
    visited = [position[key] for key in (11, 12, 13, 14)]
    assert [c.target for c in window.moments] == visited
