"""What the learned ranker sees: features of one person x every catalog venue, vectorised.

Pure functions of arrays, no session and no I/O: `luna eval` evaluates exactly what serving
computes. Two inputs:

- `CatalogContext`: the venues (place, category) and what everybody did there (popularity,
  distinct visitors, recent trend, item-to-item neighbours, when each category is visited),
  built once from the interaction log (`build_context`), then shared by every request;
- `PersonHistory`: the person's own interactions and home.

This module names the features and builds the catalog's side; the person's side, and the
features themselves, are `luna.learning.person_view`; the venues' spatial grid is
`luna.learning.grid`.

The first four features are the contract's (SPEC §3) score and terms, as serving computes
them: `luna.reco.heuristic.score_venues`, with its `RecoSettings`.
"""

import functools
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from luna.learning.data import DAY
from luna.learning.grid import VenueGrid
from luna.reco import heuristic

FEATURE_NAMES = (
    "spec_score",  # the SPEC §3 heuristic score
    "spec_spatial",  # exp(-0.3 * km from home)
    "spec_preference",  # min(1, 0.5 * positive count + dwell / 300)
    "spec_popularity",  # positive count / max positive count
    "dist_home_km",  # NaN without a home
    "dist_area_km",  # km to the nearest of the person's usual places
    "area_density",  # recency-weighted closeness to the person's usual places
    "dist_area_relative",  # dist_area_km / the person's usual travel radius
    "own_visits",  # log1p(own interactions with the venue)
    "own_recency",  # sum of exp(-age / 30 days) over own interactions with the venue
    "days_since_visit",  # NaN if never
    "category_affinity",  # share of own interactions in the venue's category
    "category_affinity_recent",  # same, recency-weighted
    "repeat_propensity",  # 1 - distinct venues / interactions (per person)
    "activity",  # log1p(own interactions) (per person)
    "time_fit",  # cosine of person's (or the asked moment's) and category's time-of-week profiles
    "venue_popularity",  # log1p(positive count)
    "venue_visitors",  # log1p(distinct people)
    "venue_recent",  # log1p(interactions in the last 14 days)
    "venue_trend",  # log((last 14 days + 1) / (14-day average of the 56 before + 1))
    "knn_score",  # item-kNN: similarity to the person's venues, recency-weighted
    "knn_share",  # knn_score / the person's best knn_score
    "local_popularity",  # area_density * venue_visitors
    "own_frequency",  # sum of 0.5 ** (age / 120 days) over own interactions with the venue
    "own_frequency_share",  # own_frequency / the person's largest own_frequency
    "own_frequency_rank",  # 1 + how many of the person's venues have a larger own_frequency
    "own_share",  # own interactions with the venue / all the person's interactions
    "own_visits_28d",  # own interactions with the venue in the last 28 days
    # The moment asked about (a request's `at`; NaN without one): what the next-visit
    # booster learns from (luna.learning.moments).
    "own_frequency_slot",  # own_frequency of the visits in the moment's time-of-week bin
    "own_frequency_hour",  # own_frequency of the visits within 1.5 h of its time of day
    "own_frequency_weekday",  # own_frequency of the visits on its weekday
    "own_visits_7d",  # own interactions with the venue in the 7 days before it
    "category_slot_share",  # share of the person's visits in its bin at the venue's category
    "venue_slot_share",  # share of the venue's visits (everyone's) in its bin
    "hours_since_last_visit",  # hours since the person's latest interaction (any venue)
    "transition_share",  # share of everyone's next visits from the person's last venue, if
    # that visit was less than TRANSITION_HOURS before (else 0)
)
N_FEATURES = len(FEATURE_NAMES)
COLUMN = {name: i for i, name in enumerate(FEATURE_NAMES)}

RECENT_DAYS = 14
TREND_DAYS = 56
KNN_NEIGHBOURS = 50
KNN_SHRINK = 5.0
HOUR_BINS = 6  # four-hour blocks, times weekday / weekend
# Recency-weighted frequency (a baseline, a next-visit baseline and the ranker's own_frequency):
# the half-life tuned on validation (docs/evaluation.md).
FREQUENCY_HALF_LIFE_DAYS = 120.0
TIME_BINS = 2 * HOUR_BINS
# A visit followed the previous one (same person) if it came less than this much later.
TRANSITION_HOURS = 3


@dataclass(frozen=True)
class VenueTable:
    """The catalog as arrays; position i is venue i everywhere."""

    lat: np.ndarray  # float64
    lng: np.ndarray
    category: np.ndarray  # int32 codes in [0, n_categories)
    n_categories: int

    def __len__(self) -> int:
        return len(self.lat)


@dataclass(frozen=True)
class CatalogContext:
    venues: VenueTable
    popularity_count: np.ndarray  # positive interactions per venue (SPEC popularity)
    visitors: np.ndarray  # distinct people per venue
    recent: np.ndarray  # interactions in the last RECENT_DAYS
    trend: np.ndarray
    neighbours: sp.csr_matrix  # venue x venue item-kNN similarity, top KNN_NEIGHBOURS a row
    category_profile: np.ndarray  # (n_categories, TIME_BINS), rows sum to 1 (or 0)
    venue_profile: np.ndarray  # (n_venues, TIME_BINS) float32, rows sum to 1 (or 0)
    # venue x venue: the share of the visits that followed a visit to the row's venue (within
    # TRANSITION_HOURS, another venue) that went to the column's; rows sum to 1 (or 0).
    transitions: sp.csr_matrix
    cos_lat: float  # for the local flat-earth distances
    # Derived once per context, for the per-request work:
    phi: np.ndarray  # latitude in radians (for luna.geo.distances_km)
    cos_phi: np.ndarray
    popularity: np.ndarray  # SPEC §3 popularity (luna.reco.heuristic.popularity)
    log_popularity: np.ndarray  # log1p(popularity_count)
    log_visitors: np.ndarray  # log1p(visitors)
    log_visitors32: np.ndarray  # the same in float32, as the features hold it
    log_recent: np.ndarray  # log1p(recent)
    by_popularity: np.ndarray  # positions, most popular first (ties: position order)
    grid: VenueGrid

    @functools.cached_property
    def cell_max_log_visitors(self) -> np.ndarray:
        """Per grid cell, the largest `log_visitors32` of its venues (float32)."""
        best = np.zeros(self.grid.lat_bounds.shape[1], dtype=np.float32)
        np.maximum.at(best, self.grid.cell_of, self.log_visitors32)
        return best

    @functools.cached_property
    def cell_visited_count(self) -> np.ndarray:
        """Per grid cell, how many of its venues have a visitor."""
        cells = self.grid.lat_bounds.shape[1]
        return np.bincount(self.grid.cell_of[self.log_visitors32 > 0], minlength=cells)

    @functools.cached_property
    def cell_category_count(self) -> np.ndarray:
        """(n_cells, n_categories) float64: how many venues of each category each cell holds."""
        counts = np.zeros((self.grid.lat_bounds.shape[1], self.venues.n_categories))
        np.add.at(counts, (self.grid.cell_of, self.venues.category), 1.0)
        return counts


@dataclass(frozen=True)
class PersonHistory:
    """One person's interactions with catalog venues (any order) and their home."""

    venue: np.ndarray  # int, catalog positions
    utc: np.ndarray  # int64 epoch seconds
    local: np.ndarray  # int64 local wall-clock epoch seconds
    positive: np.ndarray  # bool: like / interest
    dwell: np.ndarray  # seconds
    home: tuple[float, float] | None

    @classmethod
    def of_visits(
        cls, venue: np.ndarray, utc: np.ndarray, local: np.ndarray, home: tuple | None
    ) -> "PersonHistory":
        """Check-ins: each is a positive interaction without dwell time."""
        return cls(
            venue, utc, local, np.ones(len(venue), bool), np.zeros(len(venue), np.int64), home
        )


def time_bin(local: np.ndarray) -> np.ndarray:
    """Four-hour block of the day, plus HOUR_BINS on Saturdays and Sundays."""
    hour_block = (local % DAY) // (3600 * (24 // HOUR_BINS))
    weekday = (local // DAY + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    return (hour_block + HOUR_BINS * (weekday >= 5)).astype(np.int64)


def build_context(
    venues: VenueTable,
    user: np.ndarray,
    venue: np.ndarray,
    utc: np.ndarray,
    local: np.ndarray,
    positive: np.ndarray,
    now: int,
) -> CatalogContext:
    """Everybody's interactions before `now` (user codes, catalog positions, times, whether
    positive) summarised for scoring."""
    n = len(venues)
    popularity_count = np.bincount(venue[positive], minlength=n).astype(np.float64)
    pairs = np.unique(np.stack([user.astype(np.int64), venue.astype(np.int64)]), axis=1)
    visitors = np.bincount(pairs[1], minlength=n).astype(np.float64)
    age = now - utc
    recent = np.bincount(venue[age < RECENT_DAYS * DAY], minlength=n).astype(np.float64)
    before = (age >= RECENT_DAYS * DAY) & (age < (RECENT_DAYS + TREND_DAYS) * DAY)
    earlier = np.bincount(venue[before], minlength=n) * (RECENT_DAYS / TREND_DAYS)
    trend = np.log((recent + 1.0) / (earlier + 1.0))
    bins = time_bin(local)
    profile = _shares(
        np.bincount(
            venues.category[venue] * TIME_BINS + bins, minlength=venues.n_categories * TIME_BINS
        ).reshape(-1, TIME_BINS)
    )
    venue_profile = _shares(
        np.bincount(venue * TIME_BINS + bins, minlength=n * TIME_BINS).reshape(-1, TIME_BINS)
    ).astype(np.float32)
    cos_lat = float(np.cos(np.radians(np.median(venues.lat)))) if n else 1.0
    phi = np.radians(venues.lat)
    return CatalogContext(
        venues,
        popularity_count,
        visitors,
        recent,
        trend,
        item_neighbours(pairs[0], pairs[1], n),
        profile,
        venue_profile,
        transitions(user, venue, utc, n),
        cos_lat,
        phi,
        np.cos(phi),
        heuristic.popularity(popularity_count),
        np.log1p(popularity_count),
        np.log1p(visitors),
        np.log1p(visitors).astype(np.float32),
        np.log1p(recent),
        np.argsort(-popularity_count, kind="stable"),
        VenueGrid.build(venues.lat, venues.lng, cos_lat),
    )


def _shares(counts: np.ndarray) -> np.ndarray:
    """Rows divided by their sums (rows of 0 stay 0)."""
    counts = counts.astype(np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)


def transitions(
    users: np.ndarray, venues: np.ndarray, utc: np.ndarray, n_venues: int
) -> sp.csr_matrix:
    """Where people went next: row-normalised counts of (venue, the same person's next visit
    to another venue less than TRANSITION_HOURS later)."""
    order = np.lexsort((utc, users))
    user, venue, when = users[order], venues[order].astype(np.int64), utc[order]
    follows = (
        (user[1:] == user[:-1])
        & (when[1:] - when[:-1] < TRANSITION_HOURS * 3600)
        & (venue[1:] != venue[:-1])
    )
    counts = sp.csr_matrix(
        (np.ones(int(follows.sum()), np.float32), (venue[:-1][follows], venue[1:][follows])),
        shape=(n_venues, n_venues),
    )
    counts.sum_duplicates()
    totals = np.asarray(counts.sum(axis=1)).ravel()
    shares = (sp.diags(1.0 / np.maximum(totals, 1.0)).astype(np.float32) @ counts).tocsr()
    shares.sort_indices()  # PersonView looks columns up by binary search
    return shares


def item_neighbours(users: np.ndarray, venues: np.ndarray, n_venues: int) -> sp.csr_matrix:
    """Cosine similarity of venues by who visited them (shrunk towards 0 for rarely visited
    ones), keeping each venue's KNN_NEIGHBOURS most similar others."""
    if len(users) == 0:
        return sp.csr_matrix((n_venues, n_venues), dtype=np.float32)
    n_users = int(users.max()) + 1
    visits = sp.csr_matrix(
        (np.ones(len(users), np.float32), (users, venues)), shape=(n_users, n_venues)
    )
    together = (visits.T @ visits).tocsr()
    together.setdiag(0)
    together.eliminate_zeros()
    degree = np.sqrt(np.asarray(visits.sum(axis=0)).ravel())
    rows = np.repeat(np.arange(n_venues), np.diff(together.indptr))
    cols = together.indices
    together.data = together.data / (degree[rows] * degree[cols] + KNN_SHRINK)
    return top_k_per_row(together, KNN_NEIGHBOURS)


def top_k_per_row(matrix: sp.csr_matrix, k: int) -> sp.csr_matrix:
    data, indices, indptr = [], [], [0]
    for row in range(matrix.shape[0]):
        start, stop = matrix.indptr[row], matrix.indptr[row + 1]
        values = matrix.data[start:stop]
        cols = matrix.indices[start:stop]
        if len(values) > k:
            keep = np.argpartition(-values, k - 1)[:k]
            values, cols = values[keep], cols[keep]
        data.append(values)
        indices.append(cols)
        indptr.append(indptr[-1] + len(values))
    return sp.csr_matrix(
        (
            np.concatenate(data).astype(np.float32) if data else np.zeros(0, np.float32),
            np.concatenate(indices) if indices else np.zeros(0, np.int32),
            np.array(indptr),
        ),
        shape=matrix.shape,
    )


def recency_weights(age_days: np.ndarray, half_life_days: float) -> np.ndarray:
    """Each visit's weight in recency-weighted frequency: 0.5 ** (age / half-life)."""
    return np.exp2(-age_days / half_life_days)
