"""Moments: check-ins to predict from what was known just before each (issue 17, point 4).

A `Case` is one check-in at a catalog venue, with the person's catalog history strictly
before it, `at` = its time and `near` = the place of their previous check-in (any venue) if it
was less than NEAR_HOURS earlier, else their home. The next-visit evaluation
(`luna.learning.next_visit`) ranks every venue for the test window's cases; the learned
ranker's "moment" booster (`luna.learning.ranker`) learns from the earlier windows' cases,
which `luna.learning.windows.build_window` draws.
"""

from dataclasses import dataclass

import numpy as np

from luna.learning.catalog import Catalog
from luna.learning.data import CheckinLog
from luna.learning.features import PersonHistory

NEAR_HOURS = 3
SAMPLE = 3_000


@dataclass(frozen=True)
class Case:
    """One check-in to predict, with what is known just before it."""

    user: int
    target: int  # catalog position of the venue visited
    utc: int  # `at`, UTC epoch seconds
    local: int  # `at` on the person's wall clock
    near: tuple[float, float] | None
    near_is_previous: bool  # near = the previous check-in's place (else home, or None)
    history: PersonHistory  # catalog check-ins strictly before `at`; home = near


def cases(
    log: CheckinLog,
    catalog: Catalog,
    start: int,
    end: int,
    homes: np.ndarray,
    sample: int | None = SAMPLE,
    seed: int = 42,
) -> list[Case]:
    """The check-ins at catalog venues in [start, end) of people with a check-in before
    `start`; up to `sample` of them drawn without replacement (seeded), in log order.
    `homes`: (n_users, 2), NaN where unknown, estimated from before `start`."""
    position = catalog.position[log.venue]
    active = np.zeros(log.n_users, bool)
    active[log.user[log.utc < start]] = True
    rows = np.flatnonzero((log.utc >= start) & (log.utc < end) & (position >= 0) & active[log.user])
    if sample is not None and len(rows) > sample:
        rng = np.random.default_rng(seed)
        rows = np.sort(rng.choice(rows, size=sample, replace=False))
    # Each person's events in time order (the log is sorted by time; stable by person).
    order = np.argsort(log.user, kind="stable")
    bounds = np.searchsorted(log.user[order], np.arange(log.n_users + 1))
    out = []
    for row in rows.tolist():
        user = int(log.user[row])
        mine = order[bounds[user] : bounds[user + 1]]
        at = int(log.utc[row])
        before = mine[: np.searchsorted(log.utc[mine], at, side="left")]  # strictly before
        near, previous = None, False
        if len(before) and at - int(log.utc[before[-1]]) < NEAR_HOURS * 3600:
            venue = log.venue[before[-1]]
            near, previous = (float(log.venue_lat[venue]), float(log.venue_lng[venue])), True
        elif not np.isnan(homes[user, 0]):
            near = (float(homes[user, 0]), float(homes[user, 1]))
        known = before[position[before] >= 0]
        history = PersonHistory.of_visits(
            position[known].astype(np.int64), log.utc[known], log.local[known], near
        )
        out.append(Case(user, int(position[row]), at, int(log.local[row]), near, previous, history))
    return out
