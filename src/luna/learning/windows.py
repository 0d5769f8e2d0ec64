"""A snapshot made concrete: everyone's history before the cutoff, and what they did after.

Everything here is computed from the events before `cutoff` only (homes, the catalog context,
histories); the events in [cutoff, end) are only the labels.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from luna.learning.catalog import Catalog
from luna.learning.data import CheckinLog
from luna.learning.features import CatalogContext, PersonHistory, VenueTable, build_context
from luna.learning.homes import estimate_homes
from luna.learning.moments import SAMPLE, Case, cases
from luna.learning.split import Snapshot


@dataclass(frozen=True)
class CatalogEvents:
    """Check-ins at catalog venues: user codes, catalog positions, UTC and local times."""

    user: np.ndarray
    venue: np.ndarray
    utc: np.ndarray
    local: np.ndarray


@dataclass(frozen=True)
class Window:
    cutoff: int
    end: int
    venues: VenueTable
    context: CatalogContext
    homes: np.ndarray  # (n_users, 2), NaN where unknown
    histories: dict[int, PersonHistory]  # user code -> catalog history (people evaluated)
    truth: dict[int, set[int]]  # user code -> catalog positions visited in [cutoff, end)
    known: dict[int, np.ndarray]  # user code -> catalog positions visited before cutoff
    visits: sp.csr_matrix  # users x venues, catalog visits before cutoff (counts)
    # Everyone's catalog check-ins before cutoff (the baselines that need times: TIFU-KNN).
    events: CatalogEvents
    # Catalog check-ins of the people evaluated in [cutoff, end), one row per check-in
    # (the repeat / explore split of the truth counts check-ins, not only venues).
    label_user: np.ndarray
    label_venue: np.ndarray
    # Check-ins in [cutoff, end) to predict at their moment (a seeded sample): what the
    # ranker's "moment" booster learns from, and the next-visit evaluation's task.
    moments: list[Case]

    @property
    def people(self) -> list[int]:
        return sorted(self.truth)

    def new_truth(self, user: int) -> set[int]:
        return self.truth[user] - set(self.known[user].tolist())


def venue_table(catalog: Catalog) -> VenueTable:
    return VenueTable(catalog.lat, catalog.lng, catalog.category, len(catalog.category_names))


# A window keeps at most this many people (a seeded sample), which bounds luna train's time
# and memory at scale: each person costs a window ~4.7 ms and ~50 KB of features, and S3 has
# 60,000 per window (docs/evaluation.md). The real check-ins have 922 people in all, so
# nothing is sampled there: the ranker learns from as many people at S3 as on real data.
MAX_PEOPLE = 1_000


def build_window(
    log: CheckinLog,
    catalog: Catalog,
    snapshot: Snapshot,
    homes: np.ndarray | None = None,
    max_people: int = MAX_PEOPLE,
    seed: int = 0,
    moments: int = SAMPLE,
) -> Window:
    """People evaluated: those with at least one catalog visit in the label window and at
    least one check-in (any venue) before the cutoff, at most `max_people` of them (a sample
    drawn with `seed`). Homes are estimated from the history unless given (Luna's database
    has them). `moments`: how many of the window's check-ins are drawn (with `seed`) as
    next-visit cases, from everyone's, not only the people evaluated."""
    history = log.before(snapshot.cutoff)
    labels = log.between(snapshot.cutoff, snapshot.end)
    venues = venue_table(catalog)
    if homes is None:
        homes = estimate_homes(history)
    position = catalog.position[history.venue]
    in_catalog = position >= 0
    user, venue = history.user[in_catalog], position[in_catalog]
    utc, local = history.utc[in_catalog], history.local[in_catalog]
    context = build_context(
        venues, user, venue, utc, local, np.ones(len(user), bool), snapshot.cutoff
    )
    visits = sp.csr_matrix(
        (np.ones(len(user), np.float32), (user, venue)), shape=(log.n_users, len(venues))
    )
    visits.sum_duplicates()
    active = set(np.unique(history.user).tolist())
    label_position = catalog.position[labels.venue]
    truth: dict[int, set[int]] = {}
    label_rows = []
    for i, (u, v) in enumerate(zip(labels.user.tolist(), label_position.tolist(), strict=True)):
        if v >= 0 and u in active:
            truth.setdefault(u, set()).add(v)
            label_rows.append(i)
    if len(truth) > max_people:
        sample = np.random.default_rng(seed).choice(sorted(truth), max_people, replace=False)
        truth = {u: truth[u] for u in sorted(sample.tolist())}
        label_rows = [i for i in label_rows if int(labels.user[i]) in truth]
    rows_kept = np.array(label_rows, dtype=np.int64)
    order = np.argsort(user, kind="stable")
    bounds = np.searchsorted(user[order], np.arange(log.n_users + 1))
    histories, known = {}, {}
    for u in truth:
        rows = order[bounds[u] : bounds[u + 1]]
        home = None if np.isnan(homes[u, 0]) else (float(homes[u, 0]), float(homes[u, 1]))
        histories[u] = PersonHistory.of_visits(venue[rows], utc[rows], local[rows], home)
        known[u] = np.unique(venue[rows])
    return Window(
        snapshot.cutoff,
        snapshot.end,
        venues,
        context,
        homes,
        histories,
        truth,
        known,
        visits,
        CatalogEvents(user, venue, utc, local),
        labels.user[rows_kept],
        label_position[rows_kept],
        cases(log, catalog, snapshot.cutoff, snapshot.end, homes, moments, seed),
    )
