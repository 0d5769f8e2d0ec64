"""Popularity computed once per window for every process (popularity_windows; see
luna/reco/index.py): a window's counts are the window before's plus what was recorded between
the two cuts, stored and read back by everyone; every few windows, and after interactions are
deleted or imported, they are counted from every interaction again."""

import io
import uuid
from datetime import timedelta

from rich.console import Console
from sqlalchemy import select, update

from luna.bulk import import_directory
from luna.interactions.popularity_repository import positive_counts_by_venue
from luna.models import PopularityWindow
from luna.models.base import utcnow
from luna.reco.popularity import popularity_at_window
from tests.bulk.test_import import write_all
from tests.factories import create_user, create_venue, interact

EVERY = 10  # count everything every 10 windows, as COUNT_ALL_EVERY_WINDOWS


def at_window(factory, window: int, cutoff, previous_cutoff) -> dict[uuid.UUID, int]:
    with factory() as session:
        counts = popularity_at_window(session, window, cutoff, previous_cutoff, EVERY)
        session.commit()
    return counts


def exact(factory, cutoff) -> dict[uuid.UUID, int]:
    with factory() as session:
        return positive_counts_by_venue(session, recorded_before=cutoff)


def stored_windows(factory) -> dict[int, dict[str, int]]:
    with factory() as session:
        rows = session.execute(select(PopularityWindow.window_index, PopularityWindow.counts))
        return {window: counts for window, counts in rows}


def add_to_stored(factory, window: int, venue_id: str, extra: int) -> None:
    """Makes a stored window's counts wrong on purpose: who reads it shows."""
    with factory() as session:
        counts = dict(stored_windows(factory)[window])
        key = uuid.UUID(venue_id).hex
        counts[key] = counts.get(key, 0) + extra
        session.execute(
            update(PopularityWindow)
            .where(PopularityWindow.window_index == window)
            .values(counts=counts)
        )
        session.commit()


def test_a_window_is_the_one_before_plus_what_was_recorded_in_between(client, app):
    factory = app.state.session_factory
    alice, bob = create_user(client), create_user(client)
    bar, cafe = create_venue(client), create_venue(client)
    interact(client, alice["id"], bar["id"], "like")
    interact(client, bob["id"], cafe["id"], "view")  # not positive: counts nowhere
    first_cut = utcnow()
    first = at_window(factory, 31, first_cut, first_cut - timedelta(minutes=1))
    assert first == exact(factory, first_cut) == {uuid.UUID(bar["id"]): 1}

    interact(client, bob["id"], bar["id"], "interest")
    interact(client, bob["id"], cafe["id"], "like")
    second_cut = utcnow()
    # Window 31 as stored is what window 32 builds on: a wrong count there carries over,
    # so this shows window 32 was not counted from scratch.
    add_to_stored(factory, 31, cafe["id"], 100)
    second = at_window(factory, 32, second_cut, first_cut)
    assert second == {uuid.UUID(bar["id"]): 2, uuid.UUID(cafe["id"]): 101}
    add_to_stored(factory, 31, cafe["id"], -100)

    # Stored: a second process reads window 32 as it is, without counting again.
    add_to_stored(factory, 32, bar["id"], 5)
    assert at_window(factory, 32, second_cut, first_cut)[uuid.UUID(bar["id"])] == 7
    # Older windows than the one before go.
    at_window(factory, 33, second_cut, second_cut)
    assert set(stored_windows(factory)) == {32, 33}


def test_every_tenth_window_and_a_window_without_the_one_before_count_everything(client, app):
    factory = app.state.session_factory
    user, venue = create_user(client), create_venue(client)
    interact(client, user["id"], venue["id"], "like")
    cut = utcnow()
    truth = exact(factory, cut)
    at_window(factory, 39, cut, cut)
    add_to_stored(factory, 39, venue["id"], 100)
    assert at_window(factory, 40, cut, cut) == truth  # 40: a multiple of EVERY
    assert at_window(factory, 52, cut, cut) == truth  # no window 51


def test_deleting_a_person_forgets_the_stored_windows(client, app):
    factory = app.state.session_factory
    alice, bob = create_user(client), create_user(client)
    bar = create_venue(client)
    interact(client, alice["id"], bar["id"], "like")
    interact(client, bob["id"], bar["id"], "like")
    cut = utcnow()
    assert at_window(factory, 7, cut, cut) == {uuid.UUID(bar["id"]): 2}
    assert client.delete(f"/users/{bob['id']}").status_code == 204
    assert stored_windows(factory) == {}
    # So the next window counts from scratch, without Bob's like.
    assert at_window(factory, 8, cut, cut) == {uuid.UUID(bar["id"]): 1}


def test_a_bulk_import_forgets_the_stored_windows(client, app, engine, tmp_path):
    factory = app.state.session_factory
    cut = utcnow()
    at_window(factory, 3, cut, cut)
    assert set(stored_windows(factory)) == {3}
    write_all(tmp_path)
    import_directory(engine, tmp_path, Console(file=io.StringIO()))
    assert stored_windows(factory) == {}
