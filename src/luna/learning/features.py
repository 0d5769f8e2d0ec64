"""What the learned ranker sees: features of one person x every catalog venue, vectorised.

Pure functions of arrays, no session and no I/O: `luna eval` evaluates exactly what serving
computes. Two inputs:

- `CatalogContext`: the venues (place, category) and what everybody did there (popularity,
  distinct visitors, recent trend, item-to-item neighbours, when each category is visited),
  built once from the interaction log (`build_context`), then shared by every request;
- `PersonHistory`: the person's own interactions and home.

`PersonView` holds what the features need of one person (their visits per venue, usual
places, tastes, item-kNN scores), computed once; `PersonView.features(at)` then gives the
features of any venues, row for row what `person_features` gives for the whole catalog.
Serving computes them only for the few hundred candidates (`luna.learning.candidates`).

The first four features are the contract's (SPEC §3) score and terms, as serving computes
them: `luna.reco.heuristic.score_venues`, with its `RecoSettings`.
"""

import functools
import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from luna.config import RecoSettings
from luna.geo import EARTH_RADIUS_KM, distances_km
from luna.learning.data import DAY
from luna.reco import heuristic
from luna.reco.heuristic import VenueScores

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
    # Derived once per context, for the per-request work:
    phi: np.ndarray  # latitude in radians (for luna.geo.distances_km)
    cos_phi: np.ndarray
    popularity: np.ndarray  # SPEC §3 popularity (luna.reco.heuristic.popularity)
    log_popularity: np.ndarray  # log1p(popularity_count)
    log_visitors: np.ndarray  # log1p(visitors)
    log_visitors32: np.ndarray  # the same in float32, as the features hold it
    log_recent: np.ndarray  # log1p(recent)
    by_popularity: np.ndarray  # positions, most popular first (ties: position order)
    grid: "VenueGrid"

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
    profile = np.zeros((venues.n_categories, TIME_BINS))
    np.add.at(profile, (venues.category[venue], time_bin(local)), 1.0)
    totals = profile.sum(axis=1, keepdims=True)
    profile = np.divide(profile, totals, out=np.zeros_like(profile), where=totals > 0)
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


def ranges(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """The concatenated aranges [starts[i], stops[i]), vectorised."""
    lengths = stops - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(total)


GRID_KM = 1.0
BOUND_SLACK = 1e-5  # relative margin of PersonView.density_bounds (float32 rounding)


@dataclass(frozen=True)
class VenueGrid:
    """The venues bucketed in cells of about GRID_KM (by latitude and longitude), to find
    every venue inside a few latitude/longitude boxes without looking at the others."""

    lat0: float
    lng0: float
    cell_lat: float  # degrees
    cell_lng: float
    n_rows: int
    n_cols: int
    keys: np.ndarray  # sorted cell keys (row * n_cols + column) of `order`
    order: np.ndarray  # positions sorted by cell key
    cell_of: np.ndarray  # per venue: its cell, an index into the arrays below
    lat_bounds: np.ndarray  # (2, n_cells) latitude bounds of each cell holding venues
    lng_bounds: np.ndarray  # (2, n_cells)

    @classmethod
    def build(cls, lat: np.ndarray, lng: np.ndarray, cos_lat: float) -> "VenueGrid":
        cell_lat = GRID_KM / KM_PER_DEGREE_LAT
        cell_lng = GRID_KM / (KM_PER_DEGREE_LNG_EQUATOR * max(cos_lat, 0.01))
        lat0 = float(lat.min()) if len(lat) else 0.0
        lng0 = float(lng.min()) if len(lng) else 0.0
        rows = np.floor((lat - lat0) / cell_lat).astype(np.int64)
        cols = np.floor((lng - lng0) / cell_lng).astype(np.int64)
        n_rows = int(rows.max(initial=0)) + 1
        n_cols = int(cols.max(initial=0)) + 1
        keys = rows * n_cols + cols
        order = np.argsort(keys, kind="stable")
        cells, cell_of = np.unique(keys, return_inverse=True)
        lat_lo = lat0 + (cells // n_cols) * cell_lat
        lng_lo = lng0 + (cells % n_cols) * cell_lng
        # Widened a little: a venue on a cell's edge may sit in either cell.
        margin_lat, margin_lng = cell_lat * 1e-6, cell_lng * 1e-6
        return cls(
            lat0,
            lng0,
            cell_lat,
            cell_lng,
            n_rows,
            n_cols,
            keys[order],
            order,
            cell_of.ravel(),
            np.stack([lat_lo - margin_lat, lat_lo + cell_lat + margin_lat]),
            np.stack([lng_lo - margin_lng, lng_lo + cell_lng + margin_lng]),
        )

    @functools.cached_property
    def cell_start(self) -> np.ndarray:
        """`order[cell_start[c]:cell_start[c + 1]]` are the venues of cell c (the cells
        are in key order, as `order`)."""
        counts = np.bincount(self.cell_of, minlength=self.lat_bounds.shape[1])
        return np.concatenate([[0], np.cumsum(counts)])

    def venues_in(self, cells: np.ndarray) -> np.ndarray:
        """The positions of every venue in `cells` (cell indices)."""
        start = self.cell_start
        return self.order[ranges(start[cells], start[cells + 1])]

    def boxes(
        self, lat_lo: np.ndarray, lat_hi: np.ndarray, lng_lo: np.ndarray, lng_hi: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every venue inside each box (and some just outside): (positions, box index).
        Boxes are in degrees; one crossing the antimeridian is not supported (the caller
        checks)."""
        eps = 1e-9
        r0 = np.floor((lat_lo - eps - self.lat0) / self.cell_lat).astype(np.int64)
        r1 = np.floor((lat_hi + eps - self.lat0) / self.cell_lat).astype(np.int64)
        c0 = np.floor((lng_lo - eps - self.lng0) / self.cell_lng).astype(np.int64)
        c1 = np.floor((lng_hi + eps - self.lng0) / self.cell_lng).astype(np.int64)
        r0, r1 = np.maximum(r0, 0), np.minimum(r1, self.n_rows - 1)
        c0, c1 = np.maximum(c0, 0), np.minimum(c1, self.n_cols - 1)
        n_box_rows = np.where((r1 >= r0) & (c1 >= c0), r1 - r0 + 1, 0)
        box = np.repeat(np.arange(len(r0)), n_box_rows)
        row = r0[box] + ranges(np.zeros(len(r0), np.int64), n_box_rows)
        starts = np.searchsorted(self.keys, row * self.n_cols + c0[box], "left")
        stops = np.searchsorted(self.keys, row * self.n_cols + c1[box], "right")
        return self.order[ranges(starts, stops)], np.repeat(box, stops - starts)


def near_home(context: CatalogContext, home: tuple[float, float], km: float) -> np.ndarray | None:
    """Positions of every venue within `km` (haversine) of `home`, and some farther; None
    when the box around it cannot be searched (near a pole or the antimeridian)."""
    half_lat = math.degrees(km / EARTH_RADIUS_KM)
    phi1 = math.radians(home[0])
    # hav(d) >= cos(phi1) cos(phi2) hav(dlng), and |phi2| <= |phi1| + km / R.
    cos_both = math.cos(phi1) * math.cos(min(math.pi / 2, abs(phi1) + km / EARTH_RADIUS_KM))
    if cos_both <= 0:
        return None
    ratio = math.sin(km / EARTH_RADIUS_KM / 2) / math.sqrt(cos_both)
    if ratio >= 1:
        return None
    half_lng = math.degrees(2 * math.asin(ratio)) * 1.001
    if abs(home[1]) + half_lng >= 180:
        return None
    lat, lng = np.array([home[0]]), np.array([home[1]])
    positions, _ = context.grid.boxes(
        lat - half_lat, lat + half_lat, lng - half_lng, lng + half_lng
    )
    return positions


class PersonView:
    """One person against the catalog: everything the features need of the person, once;
    then the features of any venues (`features(at)`: row for row `person_features`)."""

    def __init__(
        self,
        context: CatalogContext,
        history: PersonHistory,
        now: int,
        settings: RecoSettings,
    ) -> None:
        self.context, self.settings, self.home = context, settings, history.home
        venues = context.venues
        visited = history.venue.astype(np.int64)
        age_days = np.maximum(0, now - history.utc) / DAY
        recency = np.exp(-age_days / RECENCY_DAYS)

        # Own interactions per venue (self.venues: the distinct venues, sorted).
        self.venues, inverse = np.unique(visited, return_inverse=True)
        inverse = inverse.ravel()
        m = len(self.venues)
        self.positive_count = np.bincount(inverse[history.positive], minlength=m)
        self.dwell = np.bincount(inverse, weights=history.dwell, minlength=m)
        self.count = np.bincount(inverse, minlength=m)
        self.recency = np.bincount(inverse, weights=recency, minlength=m)
        self.last_age = np.full(m, np.inf)
        np.minimum.at(self.last_age, inverse, age_days)

        # Usual area: the person's most (recently) visited places as anchors.
        anchor_weight = np.bincount(
            inverse, weights=np.exp(-age_days / ANCHOR_RECENCY_DAYS), minlength=m
        )
        own = np.flatnonzero(anchor_weight)
        if len(own) > ANCHORS:
            own = own[np.argpartition(-anchor_weight[own], ANCHORS - 1)[:ANCHORS]]
        self.anchors = self.venues[own]
        self.anchor_weight = anchor_weight[own] / anchor_weight[own].sum() if len(own) else None
        self.spread = 0.0
        if len(own):
            weight, lat, lng = (
                self.anchor_weight,
                venues.lat[self.anchors],
                venues.lng[self.anchors],
            )
            centre_lat, centre_lng = weight @ lat, weight @ lng
            self.spread = np.sqrt(
                weight
                @ (
                    ((lat - centre_lat) * KM_PER_DEGREE_LAT) ** 2
                    + ((lng - centre_lng) * KM_PER_DEGREE_LNG_EQUATOR * context.cos_lat) ** 2
                )
            )

        # Category affinity and time-of-week fit, per category.
        own_category = venues.category[visited]
        by_category = np.bincount(own_category, minlength=venues.n_categories).astype(np.float64)
        recent_category = np.bincount(own_category, weights=recency, minlength=venues.n_categories)
        total, recent_total = by_category.sum(), recent_category.sum()
        zeros = np.zeros(venues.n_categories)
        self.affinity = by_category / total if total else zeros
        self.affinity_recent = recent_category / recent_total if recent_total else zeros
        self.repeat = 1.0 - m / len(visited) if len(visited) else 0.0
        self.activity = np.log1p(len(visited))
        mine = np.bincount(time_bin(history.local), minlength=TIME_BINS).astype(np.float64)
        profile = context.category_profile
        norms = np.linalg.norm(profile, axis=1) * np.linalg.norm(mine)
        self.time_fit = np.divide(
            profile @ mine, norms, out=np.zeros(len(profile)), where=norms > 0
        )

        # Collaborative: venues similar (by co-visitors) to the person's, recency-weighted.
        self.knn = np.zeros(len(venues))
        if m:
            weight = self.recency + 0.1 * np.log1p(self.count)
            neighbours = context.neighbours
            starts, stops = neighbours.indptr[self.venues], neighbours.indptr[self.venues + 1]
            rows = ranges(starts, stops)
            self.knn = np.bincount(
                neighbours.indices[rows],
                weights=neighbours.data[rows] * np.repeat(weight, stops - starts),
                minlength=len(venues),
            )
        self.knn_best = float(self.knn.max(initial=0.0))

    def own(self, at: np.ndarray) -> np.ndarray:
        """For venues `at`: their index into self.venues, len(self.venues) for the venues
        the person never interacted with (the per-venue arrays' zeros, with `_padded`)."""
        m = len(self.venues)
        if m == 0:
            return np.zeros(len(at), np.int64)
        index = np.minimum(np.searchsorted(self.venues, at), m - 1)
        return np.where(self.venues[index] == at, index, m)

    @staticmethod
    def _padded(values: np.ndarray, missing: float) -> np.ndarray:
        return np.append(values, missing)

    def spec(self, at: np.ndarray) -> VenueScores:
        """SPEC §3 score, terms and distance from home (None without) at `at`."""
        index = self.own(at)
        engaged = np.flatnonzero(index < len(self.venues))
        context = self.context
        distance = None
        if self.home is not None:
            phi, cos_phi, lng = context.phi[at], context.cos_phi[at], context.venues.lng[at]
            distance = distances_km(self.home, phi, cos_phi, lng)
        return heuristic.score_venues(
            distance,
            context.popularity[at],
            engaged,
            self.positive_count[index[engaged]],
            self.dwell[index[engaged]],
            self.settings,
        )

    def area(self, at: np.ndarray, nearest: bool = True) -> tuple[np.ndarray | None, np.ndarray]:
        """km to the nearest usual place (None unless `nearest`), and the area density, at
        `at` (with anchors)."""
        venues, own = self.context.venues, self.anchors
        dy = venues.lat[at][:, None] - venues.lat[own][None, :]
        dy *= KM_PER_DEGREE_LAT
        d = venues.lng[at][:, None] - venues.lng[own][None, :]
        d *= KM_PER_DEGREE_LNG_EQUATOR * self.context.cos_lat
        d *= d
        dy *= dy
        d += dy
        np.sqrt(d, out=d)
        dist_area = d.min(axis=1) if nearest else None
        closeness = np.divide(d, -AREA_SCALE_KM, out=dy)
        np.exp(closeness, out=closeness)
        closeness *= self.anchor_weight
        return dist_area, closeness.sum(axis=1)

    def cell_density_upper(self) -> np.ndarray:
        """Per grid cell, an upper bound (float32) of the area density of every venue in it,
        from the nearest point of the cell to each usual place (a few hundred cells, not
        tens of thousands of venues, times the usual places)."""
        grid, own = self.context.grid, self.anchors
        lat = self.context.venues.lat[own]
        lng = self.context.venues.lng[own]
        # How far the cell lies beyond the place, north or south (east or west); 0 inside.
        y = np.maximum(grid.lat_bounds[0][:, None] - lat, lat - grid.lat_bounds[1][:, None])
        x = np.maximum(grid.lng_bounds[0][:, None] - lng, lng - grid.lng_bounds[1][:, None])
        y = np.maximum(y, 0.0) * KM_PER_DEGREE_LAT
        x = np.maximum(x, 0.0) * (KM_PER_DEGREE_LNG_EQUATOR * self.context.cos_lat)
        # In float32 (exp is 4 times faster): exp(-80) is still a normal float32, so the
        # distances are capped there (a larger bound). Rounding: well below BOUND_SLACK.
        km = np.minimum(np.sqrt(x * x + y * y) / AREA_SCALE_KM, 80.0)
        near = np.exp(-km.astype(np.float32)) @ self.anchor_weight.astype(np.float32)
        return near * np.float32(1 + BOUND_SLACK)

    def features(self, at: np.ndarray) -> np.ndarray:
        """(len(at), N_FEATURES) float32, columns in FEATURE_NAMES order."""
        context = self.context
        at = np.asarray(at, dtype=np.int64)
        out = np.empty((len(at), N_FEATURES), dtype=np.float32)

        # SPEC §3
        spec = self.spec(at)
        out[:, 0], out[:, 1], out[:, 2], out[:, 3] = (
            spec.score,
            spec.spatial,
            spec.preference,
            spec.popularity,
        )
        out[:, 4] = np.nan if spec.distance is None else spec.distance

        # Usual area
        if len(self.anchors):
            dist_area, density = self.area(at)
            out[:, 5], out[:, 6] = dist_area, density
            out[:, 7] = dist_area / (self.spread + 0.5)
        else:
            density = np.zeros(len(at))
            out[:, 5:8] = np.nan
            out[:, 6] = 0.0

        # Own engagement with each venue.
        index = self.own(at)
        out[:, 8] = np.log1p(self._padded(self.count, 0)[index])
        out[:, 9] = self._padded(self.recency, 0.0)[index]
        out[:, 10] = self._padded(self.last_age, np.nan)[index]

        # Category affinity and time-of-week fit.
        category = context.venues.category[at]
        out[:, 11] = self.affinity[category]
        out[:, 12] = self.affinity_recent[category]
        out[:, 13] = self.repeat
        out[:, 14] = self.activity
        out[:, 15] = self.time_fit[category]

        # What everybody does.
        out[:, 16] = context.log_popularity[at]
        out[:, 17] = context.log_visitors[at]
        out[:, 18] = context.log_recent[at]
        out[:, 19] = context.trend[at]

        # Collaborative
        knn = self.knn[at]
        out[:, 20] = knn
        out[:, 21] = knn / self.knn_best if self.knn_best > 0 else 0.0
        out[:, 22] = density * out[:, 17]
        return out


def person_features(
    context: CatalogContext,
    history: PersonHistory,
    now: int,
    settings: RecoSettings,
) -> np.ndarray:
    """(n_venues, N_FEATURES) float32 matrix of every venue, columns in FEATURE_NAMES order."""
    return PersonView(context, history, now, settings).features(np.arange(len(context.venues)))
