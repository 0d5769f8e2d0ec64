"""One person against the catalog: what the learned ranker's features need of the person,
computed once (`PersonView`), then the features of any venues, row for row as
`person_features` gives them for the whole catalog. Serving asks only for its few hundred
candidates (`luna.learning.candidates`).
"""

import numpy as np

from luna.config import RecoSettings
from luna.geo import distances_km
from luna.learning.data import DAY
from luna.learning.features import (
    COLUMN,
    FREQUENCY_HALF_LIFE_DAYS,
    N_FEATURES,
    TIME_BINS,
    TRANSITION_HOURS,
    CatalogContext,
    PersonHistory,
    recency_weights,
    time_bin,
)
from luna.learning.grid import KM_PER_DEGREE_LAT, KM_PER_DEGREE_LNG_EQUATOR, ranges
from luna.reco import heuristic
from luna.reco.heuristic import VenueScores

RECENCY_DAYS = 30.0
WINDOW_DAYS = 28.0
ANCHOR_RECENCY_DAYS = 60.0
ANCHORS = 16
AREA_SCALE_KM = 1.0
BOUND_SLACK = 1e-5  # relative margin of PersonView.cell_density_upper (float32 rounding)
MOMENT_HOURS = 1.5  # own_frequency_hour: visits this close to the moment's time of day
MOMENT_DAYS = 7.0  # own_visits_7d
MOMENT_COLUMNS = slice(COLUMN["own_frequency_slot"], COLUMN["transition_share"] + 1)


class PersonView:
    """One person against the catalog: everything the features need of the person, once;
    then the features of any venues (`features(at)`: row for row `person_features`)."""

    def __init__(
        self,
        context: CatalogContext,
        history: PersonHistory,
        now: int,
        settings: RecoSettings,
        moment_local: int | None = None,
    ) -> None:
        """`now`: what recency counts from (UTC epoch seconds). `moment_local`: the local
        wall-clock seconds of the moment asked about (a request's `at`), or None: see
        `time_fit` below."""
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
        frequency_weight = recency_weights(age_days, FREQUENCY_HALF_LIFE_DAYS)
        self.frequency = np.bincount(inverse, weights=frequency_weight, minlength=m)
        best = float(self.frequency.max(initial=0.0))
        self.frequency_share = self.frequency / best if best > 0 else np.zeros(m)
        # 1 + how many of the person's venues score strictly higher.
        ordered = np.sort(self.frequency)
        self.frequency_rank = 1.0 + m - np.searchsorted(ordered, self.frequency, side="right")
        self.share = self.count / len(visited) if len(visited) else np.zeros(m)
        self.recent_count = np.bincount(
            inverse, weights=(age_days < WINDOW_DAYS).astype(np.float64), minlength=m
        )

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
        # time_fit: the cosine of each category's time-of-week profile with the person's
        # (every visit's bin: their habits, not the time of the request), as trained. With a
        # moment (`at`), the moment's bin stands in for the person's profile, as `near`
        # stands in for the home: how much of the category's visits fall in that bin.
        if moment_local is None:
            mine = np.bincount(time_bin(history.local), minlength=TIME_BINS).astype(np.float64)
        else:
            mine = np.zeros(TIME_BINS)
            mine[int(time_bin(np.array([moment_local], dtype=np.int64))[0])] = 1.0
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

        self.moment = None
        if moment_local is not None:
            self.moment = _Moment(
                context, history, now, moment_local, inverse, m, age_days, frequency_weight
            )

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
        # In float32, where exp is cheaper (docs/evaluation.md): exp(-80) is still a normal
        # float32, so the distances are capped there (a larger bound). Rounding: well below
        # BOUND_SLACK.
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

        # Own engagement, as the repeat baselines see it.
        out[:, 23] = self._padded(self.frequency, 0.0)[index]
        out[:, 24] = self._padded(self.frequency_share, 0.0)[index]
        out[:, 25] = self._padded(self.frequency_rank, np.nan)[index]
        out[:, 26] = self._padded(self.share, 0.0)[index]
        out[:, 27] = self._padded(self.recent_count, 0.0)[index]

        # The moment asked about.
        if self.moment is None:
            out[:, MOMENT_COLUMNS] = np.nan
        else:
            moment = self.moment
            out[:, 28] = self._padded(moment.slot_frequency, 0.0)[index]
            out[:, 29] = self._padded(moment.hour_frequency, 0.0)[index]
            out[:, 30] = self._padded(moment.weekday_frequency, 0.0)[index]
            out[:, 31] = self._padded(moment.week_count, 0.0)[index]
            out[:, 32] = moment.category_share[category]
            out[:, 33] = context.venue_profile[at, moment.bin]
            out[:, 34] = moment.hours_since_last
            out[:, 35] = moment.transition_share(at)
        return out


class _Moment:
    """What the moment features need of the person, for one moment (`at`): `now` is its UTC
    time, `moment_local` its local wall clock."""

    def __init__(
        self,
        context: CatalogContext,
        history: PersonHistory,
        now: int,
        moment_local: int,
        inverse: np.ndarray,
        m: int,
        age_days: np.ndarray,
        frequency_weight: np.ndarray,
    ) -> None:
        self.bin = int(time_bin(np.array([moment_local], dtype=np.int64))[0])
        in_bin = time_bin(history.local) == self.bin
        hours = (history.local % DAY) / 3600.0
        gap = np.abs(hours - (moment_local % DAY) / 3600.0)
        near_hour = np.minimum(gap, 24.0 - gap) <= MOMENT_HOURS
        same_weekday = (history.local // DAY) % 7 == (moment_local // DAY) % 7
        self.slot_frequency = np.bincount(inverse, weights=frequency_weight * in_bin, minlength=m)
        self.hour_frequency = np.bincount(
            inverse, weights=frequency_weight * near_hour, minlength=m
        )
        self.weekday_frequency = np.bincount(
            inverse, weights=frequency_weight * same_weekday, minlength=m
        )
        self.week_count = np.bincount(
            inverse, weights=(age_days < MOMENT_DAYS).astype(np.float64), minlength=m
        )
        categories = context.venues.n_categories
        in_category = np.bincount(
            context.venues.category[history.venue[in_bin]], minlength=categories
        )
        self.category_share = in_category / in_bin.sum() if in_bin.any() else np.zeros(categories)
        # The latest visit not after the moment (the served history keeps later ones).
        before = np.flatnonzero(history.utc <= now)
        self.hours_since_last, self._next = np.nan, None
        if len(before):
            latest = before[np.argmax(history.utc[before])]
            self.hours_since_last = (now - int(history.utc[latest])) / 3600.0
            if self.hours_since_last < TRANSITION_HOURS:
                self._next = context.transitions[int(history.venue[latest])]

    def transition_share(self, at: np.ndarray) -> np.ndarray:
        """The share of everyone's next visits from the person's last venue that went to
        each of `at` (0 without a visit in the last TRANSITION_HOURS)."""
        shares = np.zeros(len(at))
        if self._next is None or self._next.nnz == 0:
            return shares
        columns, values = self._next.indices, self._next.data
        index = np.minimum(np.searchsorted(columns, at), len(columns) - 1)
        hit = columns[index] == at
        shares[hit] = values[index[hit]]
        return shares


def person_features(
    context: CatalogContext,
    history: PersonHistory,
    now: int,
    settings: RecoSettings,
    moment_local: int | None = None,
) -> np.ndarray:
    """(n_venues, N_FEATURES) float32 matrix of every venue, columns in FEATURE_NAMES order."""
    view = PersonView(context, history, now, settings, moment_local)
    return view.features(np.arange(len(context.venues)))
