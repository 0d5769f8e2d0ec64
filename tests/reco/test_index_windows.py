"""Freshness and consistency of the venue index (see luna/reco/index.py).

- A snapshot serves a whole window, then is reloaded in the background.
- Two indexes (two processes) in the same window hold the same counts, whenever they loaded.
- A person's own new interaction shows in their very next recommendation, in another server
  process too, while popularity waits for the next window.
"""

import os
import time
import uuid
from collections.abc import Iterator

import httpx2
import numpy as np
import pytest
from sqlalchemy import text

from luna.interactions.popularity_repository import positive_counts_by_venue
from luna.reco.index import GRACE_SECONDS, VenueIndex
from tests.factories import create_user, create_venue, interact
from tests.live import start_luna_serve

WINDOW = 60.0


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def counts(index: VenueIndex, session_factory) -> dict[str, int]:
    with session_factory() as session:
        snapshot = index.snapshot(session)
    return {str(vid): int(n) for vid, n in zip(snapshot.ids, snapshot.positive_counts, strict=True)}


def wait_for_window(index: VenueIndex, session_factory, window: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with session_factory() as session:
            if index.snapshot(session).window == window:
                return
        time.sleep(0.02)
    raise AssertionError(f"the index never reached window {window}")


def test_a_snapshot_serves_its_window_then_reloads(client, app):
    factory = app.state.session_factory
    user, venue = create_user(client), create_venue(client)
    interact(client, user["id"], venue["id"], "like")
    # A window whose cut is well before anything was written: nothing counts yet.
    clock = Clock(time.time() - 10 * WINDOW)
    index = VenueIndex(factory, WINDOW, clock)
    first_window = int(clock.now // WINDOW)
    assert counts(index, factory) == {venue["id"]: 0}

    interact(client, user["id"], venue["id"], "like")
    clock.now += WINDOW / 2  # same window: the same snapshot, new writes or not
    with factory() as session:
        assert index.snapshot(session).window == first_window
    assert counts(index, factory) == {venue["id"]: 0}

    clock.now = time.time() + 3 * WINDOW  # a window whose cut is after every write
    wait_for_window(index, factory, int(clock.now // WINDOW))
    assert counts(index, factory) == {venue["id"]: 2}


def test_two_indexes_in_one_window_agree_whenever_they_loaded(client, app):
    factory = app.state.session_factory
    user = create_user(client)
    venues = [create_venue(client) for _ in range(3)]
    interact(client, user["id"], venues[0]["id"], "like")
    # Two windows ahead: with one, a start in a minute's last second put the cut before the write.
    clock = Clock(time.time() + 2 * WINDOW)
    # The cut of the window holding clock.now is after the write above.
    assert (clock.now // WINDOW) * WINDOW - GRACE_SECONDS > time.time() - 1
    early = VenueIndex(factory, WINDOW, clock)
    seen_early = counts(early, factory)
    late = VenueIndex(factory, WINDOW, clock)
    assert (
        counts(late, factory)
        == seen_early
        == {
            venues[0]["id"]: 1,
            venues[1]["id"]: 0,
            venues[2]["id"]: 0,
        }
    )


def test_scores_agree_between_an_exact_and_a_windowed_index(client, app):
    """With every write before the cut, a windowed snapshot equals a per-request one."""
    factory = app.state.session_factory
    users = [create_user(client) for _ in range(3)]
    venues = [create_venue(client, category=c) for c in ("bar", "cafe", "bar", None)]
    for i in range(9):
        interact(client, users[i % 3]["id"], venues[i % 4]["id"], ("like", "view")[i % 2])
    windowed = VenueIndex(factory, WINDOW, Clock(time.time() + 2 * WINDOW))
    exact = VenueIndex(factory, 0)
    with factory() as session:
        a, b = windowed.snapshot(session), exact.snapshot(session)
    assert a.ids == b.ids
    assert np.array_equal(a.positive_counts, b.positive_counts)
    assert np.array_equal(a.popularity, b.popularity)
    assert a.categories == b.categories


@pytest.fixture
def two_servers(db_url: str, backend: str) -> Iterator[tuple[str, str]]:
    if backend != "postgresql":
        pytest.skip("two server processes on one database: PostgreSQL")
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "LUNA_AUTH": "off",
        "LUNA_ENV": "test",
        "LUNA_RECO_REFRESH_SECONDS": "1",
        "LUNA_WRITE_RATE_LIMIT": "100000/minute",
    }
    processes, urls = [], []
    try:
        for _ in range(2):
            process, url = start_luna_serve(env)
            processes.append(process)
            urls.append(url)
        yield urls[0], urls[1]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def test_two_server_processes_give_the_same_answers(two_servers):
    a, b = (httpx2.Client(base_url=url, timeout=10) for url in two_servers)
    people = [
        a.post(
            "/users/",
            json={
                "handle": f"p{i}",
                "name": f"P{i}",
                "home_lat": 40.7 + i / 100,
                "home_lng": -74.0,
            },
        ).json()
        for i in range(3)
    ]
    venues = [
        a.post("/venues/", json={"name": f"V{i}", "lat": 40.7 + i / 50, "lng": -73.99}).json()
        for i in range(5)
    ]
    # New venues reach each process's index within a window (1 s here): wait for both.
    deadline = time.monotonic() + 40
    for server in (a, b):
        while len(server.get(f"/reco/venues/{people[0]['id']}").json()) < len(venues):
            assert time.monotonic() < deadline, "a server never saw the new venues"
            time.sleep(0.2)

    items = [
        {"user_id": p["id"], "venue_id": v["id"], "interaction_type": "like"}
        for p in people[1:]
        for v in venues[:2]
    ]
    assert a.post("/interactions/batch", json={"interactions": items}).status_code == 201
    # Own interaction through one process, next recommendation from the other: at once.
    me, spot = people[0], venues[4]
    body = {"user_id": me["id"], "interaction_type": "like", "dwell_time_seconds": 60}
    assert a.post(f"/venues/{spot['id']}/interactions", json=body).status_code == 201
    mine = {r["venue_id"]: r for r in b.get(f"/reco/venues/{me['id']}").json()}
    assert mine[spot["id"]]["features"]["preference"] == pytest.approx(0.5 + 60 / 300)

    # Popularity follows within a window or two (1 s + the grace): then both agree exactly
    # (a generous deadline: CI machines are shared).
    deadline = time.monotonic() + 40
    while True:
        answers = [
            [server.get(f"/reco/venues/{p['id']}", params={"limit": 5}).json() for p in people]
            for server in (a, b)
        ]
        top = {r["venue_id"]: r for r in answers[0][0]}
        if answers[0] == answers[1] and top[venues[0]["id"]]["features"]["popularity"] == 1.0:
            break
        assert time.monotonic() < deadline, answers
        time.sleep(0.2)
    # The own like counts in popularity too: 1 of the 2 likes the top venues have.
    assert top[spot["id"]]["features"]["popularity"] == pytest.approx(0.5)


def test_the_reload_counts_on_one_core_and_leaves_the_connection_as_it_was(client, app, backend):
    """The background reload's count runs without parallel workers on PostgreSQL (in parallel
    it took every core from the requests for a moment), for its transaction only: the pooled
    connection serves the next session with the server's setting."""
    if backend == "sqlite":
        pytest.skip("parallel query is PostgreSQL's")
    user, venue = create_user(client), create_venue(client)
    interact(client, user["id"], venue["id"], "like")
    factory = app.state.session_factory
    show = text("SHOW max_parallel_workers_per_gather")
    with factory() as session:
        default = session.execute(show).scalar_one()
    with factory() as session:
        popularity = positive_counts_by_venue(session)
        during = session.execute(show).scalar_one()
        session.commit()  # a committed SET would outlive the transaction; SET LOCAL does not
    with factory() as session:
        after = session.execute(show).scalar_one()
    assert popularity == {uuid.UUID(venue["id"]): 1}
    assert during == "0" and after == default != "0"


def test_a_reload_keeps_an_unchanged_catalog_and_rereads_a_changed_one(client, app, backend):
    """Each window takes the new counts; the catalog's arrays are reused while no venue changed
    (PostgreSQL compares a digest of the venues; SQLite rereads them every time)."""
    factory = app.state.session_factory
    user = create_user(client)
    bar, cafe = create_venue(client, name="Bar"), create_venue(client, name="Cafe")
    interact(client, user["id"], bar["id"], "like")
    clock = Clock(time.time() + 2 * WINDOW)  # every write so far is before the cut
    index = VenueIndex(factory, WINDOW, clock)
    with factory() as session:
        first = index.snapshot(session)
    assert counts(index, factory) == {bar["id"]: 1, cafe["id"]: 0}

    interact(client, user["id"], cafe["id"], "like")
    clock.now += 2 * WINDOW
    wait_for_window(index, factory, int(clock.now // WINDOW))
    with factory() as session:
        second = index.snapshot(session)
    assert counts(index, factory) == {bar["id"]: 1, cafe["id"]: 1}
    assert (second.names is first.names) == (backend == "postgresql")

    renamed = client.patch(f"/venues/{cafe['id']}", json={"name": "Cafe Deux"})
    assert renamed.status_code == 200, renamed.text
    clock.now += 2 * WINDOW
    wait_for_window(index, factory, int(clock.now // WINDOW))
    with factory() as session:
        third = index.snapshot(session)
    assert third.names is not second.names
    assert third.names[third.position[uuid.UUID(cafe["id"])]] == "Cafe Deux"
    assert counts(index, factory) == {bar["id"]: 1, cafe["id"]: 1}
