import numpy as np

from luna.learning.catalog import build_catalog, is_going_out, luna_category
from luna.learning.data import WEEK
from luna.learning.homes import estimate_homes
from luna.learning.split import Snapshot, time_split
from luna.learning.windows import build_window
from luna.venues.schemas import CATEGORY_REGEX
from tests.learning.conftest import DAY, MONDAY, make_log

PLACES = {
    1: (40.70, -74.00, "Home (private)"),
    2: (40.75, -73.98, "Bar"),
    3: (40.76, -73.97, "Office"),
    4: (40.72, -73.95, "Coffee Shop"),
    5: (40.80, -73.90, "Subway"),
}


def test_catalog_keeps_going_out_places_only():
    log = make_log([(1, v, MONDAY + v) for v in PLACES], PLACES)
    catalog = build_catalog(log)
    kept = {int(log.venue_keys[v]) for v in catalog.venues}
    assert kept == {2, 4}
    assert catalog.category_names == ("Bar", "Coffee Shop")
    assert catalog.position[log.venue_keys.tolist().index(3)] == -1
    assert is_going_out("Music Venue") and not is_going_out("Gym / Fitness Center")


def test_categories_become_luna_categories():
    for name, expected in [
        ("Café", "cafe"),
        ("Ramen /  Noodle House", "ramen-noodle-house"),
        ("Fish & Chips Shop", "fish-and-chips-shop"),
        ("Gym / Fitness Center", "gym-fitness-center"),
    ]:
        assert luna_category(name) == expected
        assert CATEGORY_REGEX.fullmatch(expected)


def test_home_is_the_most_visited_home_venue():
    events = [(1, 2, MONDAY + 20 * 3600), (1, 1, MONDAY + 12 * 3600), (1, 1, MONDAY + DAY)]
    homes = estimate_homes(make_log(events, PLACES))
    assert np.allclose(homes[0], (40.70, -74.00))


def test_without_a_home_venue_home_is_where_they_are_at_night():
    # bar at 23:00 twice, office at noon three times
    events = [(1, 2, MONDAY + d * DAY + 23 * 3600) for d in range(2)]
    events += [(1, 3, MONDAY + d * DAY + 12 * 3600) for d in range(3)]
    homes = estimate_homes(make_log(events, PLACES))
    assert np.allclose(homes[0], (40.75, -73.98))


def test_person_without_night_or_home_checkins_gets_their_densest_place():
    events = [(1, 3, MONDAY + d * DAY + 12 * 3600) for d in range(3)] + [(1, 4, MONDAY + 15 * 3600)]
    homes = estimate_homes(make_log(events, PLACES))
    assert np.allclose(homes[0], (40.76, -73.97))


def test_split_windows_follow_each_other():
    events = [(1, 2, MONDAY + d * DAY) for d in range(0, 24 * 7)]
    log = make_log(events, PLACES)
    split = time_split(log, test_weeks=4, val_weeks=4)
    assert split.start < split.val_start < split.test_start < split.end
    assert split.test_start - split.val_start == 4 * WEEK
    snapshots = split.training_snapshots(3)
    assert [s.end for s in snapshots] == [
        split.val_start,
        split.val_start - 4 * WEEK,
        split.val_start - 8 * WEEK,
    ]


def test_window_sees_nothing_after_its_cutoff():
    """Changing every event at or after the cutoff changes the labels only."""
    cutoff = MONDAY + 10 * DAY
    before = [(1, 2, MONDAY + d * DAY) for d in range(10)] + [(2, 4, MONDAY + 3 * DAY)]
    after_a = [(1, 4, cutoff + DAY), (2, 2, cutoff + 2 * DAY)]
    after_b = [(1, 4, cutoff + DAY), (2, 2, cutoff + 2 * DAY), (1, 2, cutoff), (3, 2, cutoff)]
    snapshot = Snapshot(cutoff, cutoff + 7 * DAY)
    windows = []
    for after in (after_a, after_b):
        log = make_log(before + after, PLACES)
        windows.append(build_window(log, build_catalog(log), snapshot))
    a, b = windows
    assert np.array_equal(a.context.popularity_count, b.context.popularity_count)
    assert np.array_equal(a.context.visitors, b.context.visitors)
    # b knows one more person (only after the cutoff): nothing of theirs before it
    assert np.array_equal(a.visits.toarray(), b.visits.toarray()[:2])
    assert b.visits[2].nnz == 0 and np.isnan(b.homes[2]).all()
    for user in a.histories:
        assert np.array_equal(a.histories[user].venue, b.histories[user].venue)
        assert (a.histories[user].utc < cutoff).all()
    assert np.array_equal(a.homes, b.homes[:2])
    # the labels are what changed; user 3 has no history, so is not evaluated
    assert a.truth != b.truth
    assert set(b.truth) == {0, 1}


def test_a_window_keeps_a_seeded_sample_of_at_most_max_people():
    """Training at S3 scale learns from a sample of each window's people; the sample is the
    seed's, and the labels kept are those of the people kept."""
    cutoff = MONDAY + 10 * DAY
    people = range(1, 21)
    events = [(u, 2, MONDAY + u * 3600) for u in people] + [(u, 4, cutoff + DAY) for u in people]
    log = make_log(events, PLACES)
    catalog, snapshot = build_catalog(log), Snapshot(cutoff, cutoff + 7 * DAY)

    everyone = build_window(log, catalog, snapshot)
    assert len(everyone.people) == 20

    sample = build_window(log, catalog, snapshot, max_people=5, seed=1)
    assert len(sample.people) == 5 and set(sample.people) < set(everyone.people)
    assert sorted(sample.histories) == sample.people
    assert sorted(set(sample.label_user.tolist())) == sample.people
    assert build_window(log, catalog, snapshot, max_people=5, seed=1).people == sample.people
    assert build_window(log, catalog, snapshot, max_people=5, seed=2).people != sample.people
