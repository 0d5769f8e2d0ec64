"""What the learned ranker sees: features of one person x every catalog venue, vectorised.

Pure functions of arrays, no session and no I/O: `luna eval` evaluates exactly what serving
computes. Two inputs:

- `CatalogContext`: the venues (place, category) and what everybody did there (popularity,
  distinct visitors, recent trend, item-to-item neighbours, when each category is visited),
  built once from the interaction log (`build_context`), then shared by every request;
- `PersonHistory`: the person's own interactions and home.

The first four features are the contract's (SPEC §3) terms, computed with the same weights
and constants as `luna.reco.heuristic` (its `RecoSettings`), vectorised; a test checks them
against `luna.reco.heuristic.all_venue_scores`.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from luna.config import RecoSettings
from luna.geo import EARTH_RADIUS_KM
from luna.learning.data import DAY

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
    "time_fit",  # cosine of person's and category's time-of-week profiles
    "venue_popularity",  # log1p(positive count)
    "venue_visitors",  # log1p(distinct people)
    "venue_recent",  # log1p(interactions in the last 14 days)
    "venue_trend",  # log((last 14 days + 1) / (14-day average of the 56 before + 1))
    "knn_score",  # item-kNN: similarity to the person's venues, recency-weighted
    "knn_share",  # knn_score / the person's best knn_score
    "local_popularity",  # area_density * venue_visitors
)
N_FEATURES = len(FEATURE_NAMES)
COLUMN = {name: i for i, name in enumerate(FEATURE_NAMES)}

RECENCY_DAYS = 30.0
ANCHOR_RECENCY_DAYS = 60.0
ANCHORS = 16
AREA_SCALE_KM = 1.0
RECENT_DAYS = 14
TREND_DAYS = 56
KNN_NEIGHBOURS = 50
KNN_SHRINK = 5.0
HOUR_BINS = 6  # four-hour blocks, times weekday / weekend
TIME_BINS = 2 * HOUR_BINS
KM_PER_DEGREE_LAT = 110.57
KM_PER_DEGREE_LNG_EQUATOR = 111.32


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
    cos_lat: float  # for the local flat-earth distances


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


def haversine_km(lat: float, lng: float, lats: np.ndarray, lngs: np.ndarray) -> np.ndarray:
    """luna.geo.haversine_km from one point to many."""
    phi1, phi2 = np.radians(lat), np.radians(lats)
    dphi = phi2 - phi1
    dlmb = np.radians(lngs - lng)
    a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def spec_terms(
    distance_km: np.ndarray | None,
    positive_count: np.ndarray,
    dwell_seconds: np.ndarray,
    popularity_count: np.ndarray,
    settings: RecoSettings,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """SPEC §3 (score, spatial, preference, popularity) for every venue, as
    luna.reco.heuristic computes them one venue at a time."""
    if distance_km is None:
        spatial = np.zeros(len(positive_count))
    else:
        spatial = np.exp(-settings.spatial_decay_per_km * distance_km)
    preference = np.minimum(
        1.0,
        settings.preference_per_positive * positive_count
        + dwell_seconds / settings.preference_dwell_seconds,
    )
    max_count = popularity_count.max(initial=0)
    popularity = popularity_count / max_count if max_count > 0 else np.zeros(len(spatial))
    score = (
        settings.venue_weight_spatial * spatial
        + settings.venue_weight_preference * preference
        + settings.venue_weight_popularity * popularity
    )
    return score, spatial, preference, popularity


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
    profile = np.zeros((venues.n_categories, TIME_BINS))
    np.add.at(profile, (venues.category[venue], time_bin(local)), 1.0)
    totals = profile.sum(axis=1, keepdims=True)
    profile = np.divide(profile, totals, out=np.zeros_like(profile), where=totals > 0)
    return CatalogContext(
        venues,
        popularity_count,
        visitors,
        recent,
        trend,
        item_neighbours(pairs[0], pairs[1], n),
        profile,
        float(np.cos(np.radians(np.median(venues.lat)))) if n else 1.0,
    )


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


def person_features(
    context: CatalogContext,
    history: PersonHistory,
    now: int,
    settings: RecoSettings,
) -> np.ndarray:
    """(n_venues, N_FEATURES) float32 matrix, columns in FEATURE_NAMES order."""
    venues = context.venues
    n = len(venues)
    out = np.empty((n, N_FEATURES), dtype=np.float32)
    visited = history.venue.astype(np.int64)
    age_days = np.maximum(0, now - history.utc) / DAY
    recency = np.exp(-age_days / RECENCY_DAYS)

    # SPEC §3
    home = history.home
    distance = haversine_km(home[0], home[1], venues.lat, venues.lng) if home else None
    positive_count = np.bincount(visited[history.positive], minlength=n)
    dwell = np.bincount(visited, weights=history.dwell, minlength=n)
    score, spatial, preference, popularity = spec_terms(
        distance, positive_count, dwell, context.popularity_count, settings
    )
    out[:, 0], out[:, 1], out[:, 2], out[:, 3] = score, spatial, preference, popularity
    out[:, 4] = np.nan if distance is None else distance

    # Usual area: the person's most (recently) visited places as anchors.
    anchor_weight = np.bincount(
        visited, weights=np.exp(-age_days / ANCHOR_RECENCY_DAYS), minlength=n
    )
    own = np.flatnonzero(anchor_weight)
    if len(own):
        if len(own) > ANCHORS:
            own = own[np.argpartition(-anchor_weight[own], ANCHORS - 1)[:ANCHORS]]
        weight = anchor_weight[own] / anchor_weight[own].sum()
        dy = (venues.lat[:, None] - venues.lat[own][None, :]) * KM_PER_DEGREE_LAT
        dx = (venues.lng[:, None] - venues.lng[own][None, :]) * (
            KM_PER_DEGREE_LNG_EQUATOR * context.cos_lat
        )
        d = np.sqrt(dx * dx + dy * dy)
        dist_area = d.min(axis=1)
        density = np.exp(-d / AREA_SCALE_KM) @ weight
        centre_lat = weight @ venues.lat[own]
        centre_lng = weight @ venues.lng[own]
        spread = np.sqrt(
            weight
            @ (
                ((venues.lat[own] - centre_lat) * KM_PER_DEGREE_LAT) ** 2
                + ((venues.lng[own] - centre_lng) * KM_PER_DEGREE_LNG_EQUATOR * context.cos_lat)
                ** 2
            )
        )
        out[:, 5], out[:, 6] = dist_area, density
        out[:, 7] = dist_area / (spread + 0.5)
    else:
        density = np.zeros(n)
        out[:, 5:8] = np.nan
        out[:, 6] = 0.0

    # Own engagement with each venue.
    counts = np.bincount(visited, minlength=n)
    out[:, 8] = np.log1p(counts)
    own_recency = np.bincount(visited, weights=recency, minlength=n)
    out[:, 9] = own_recency
    last_age = np.full(n, np.inf)
    np.minimum.at(last_age, visited, age_days)
    out[:, 10] = np.where(np.isinf(last_age), np.nan, last_age)

    # Category affinity and time-of-week fit.
    own_category = venues.category[visited]
    by_category = np.bincount(own_category, minlength=venues.n_categories).astype(np.float64)
    recent_category = np.bincount(own_category, weights=recency, minlength=venues.n_categories)
    total, recent_total = by_category.sum(), recent_category.sum()
    out[:, 11] = (by_category / total)[venues.category] if total else 0.0
    out[:, 12] = (recent_category / recent_total)[venues.category] if recent_total else 0.0
    out[:, 13] = 1.0 - len(np.unique(visited)) / len(visited) if len(visited) else 0.0
    out[:, 14] = np.log1p(len(visited))
    mine = np.bincount(time_bin(history.local), minlength=TIME_BINS).astype(np.float64)
    profile = context.category_profile
    norms = np.linalg.norm(profile, axis=1) * np.linalg.norm(mine)
    fit = np.divide(profile @ mine, norms, out=np.zeros(len(profile)), where=norms > 0)
    out[:, 15] = fit[venues.category]

    # What everybody does.
    out[:, 16] = np.log1p(context.popularity_count)
    out[:, 17] = np.log1p(context.visitors)
    out[:, 18] = np.log1p(context.recent)
    out[:, 19] = context.trend

    # Collaborative: venues similar (by co-visitors) to the person's, recency-weighted.
    if len(own):
        seen = np.flatnonzero(own_recency + counts)
        weight = own_recency[seen] + 0.1 * np.log1p(counts[seen])
        knn = context.neighbours[seen].T @ weight
    else:
        knn = np.zeros(n)
    out[:, 20] = knn
    best = knn.max(initial=0.0)
    out[:, 21] = knn / best if best > 0 else 0.0
    out[:, 22] = density * out[:, 17]
    return out
