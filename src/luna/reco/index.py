"""The venue index: every venue and its popularity as numpy arrays, one copy per process.

Scoring a city's venues row by row costs about a microsecond per venue in SQL and more in
Python; as arrays it is a dozen vector operations (some 25 µs per thousand venues), and
`best_positions` proves most venues out of reach without scoring them. The
catalog and the popularity counts are the same for everyone and change slowly, so each process
keeps a snapshot of them and reloads it once per window of `LUNA_RECO_REFRESH_SECONDS`. What is
personal, the home and the person's own interactions, is read on every request, so a person's
new interaction shows in their very next recommendation.

Windows are aligned to the clock (window n starts at n * T), and the snapshot of window n
counts the interactions recorded before n * T - GRACE_SECONDS. The first process to reach a
window computes these counts, as window n - 1's plus those recorded between the two cuts, and
stores them in the database (`popularity_windows`); every other process reads them, so all
hold the same counts, whenever they loaded them, and answer the same. The grace covers write
transactions still open at the cut; one that commits later still is counted at the next full
count (every COUNT_ALL_EVERY_WINDOWS windows, or after a person's deletion or a bulk import).
Popularity thus lags by at most one window plus the grace plus the reload (tens of
milliseconds; a full count, about half a second at 4 million interactions); a new, changed or
deleted venue reaches the index at the next window too. Reloads run in a background thread:
requests keep using the previous snapshot meanwhile.
"""

import dataclasses
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from luna.config import RecoSettings
from luna.geo import EARTH_RADIUS_KM, bounding_box
from luna.heap import freeze_long_lived
from luna.interactions import repository as interaction_repository
from luna.reco import reasons
from luna.reco.constraints import VenueConstraints
from luna.reco.heuristic import Engagement
from luna.venues import repository as venue_repository

logger = logging.getLogger(__name__)

GRACE_SECONDS = 2.0
# A window's popularity is the window before's plus what was recorded in between, computed
# once for every process (luna.interactions.repository.popularity_at_window); every this many
# windows it is counted from every interaction instead.
COUNT_ALL_EVERY_WINDOWS = 10
# (id, name, category, lat, lng, price_level, rating), as venues.repository.candidate_rows
VenueRow = tuple[uuid.UUID, str, str | None, float, float, int | None, float | None]
NO_CATEGORY = -1
# The reload's thread (tests wait for it before emptying the tables).
RELOAD_THREAD = "venue-index-reload"


@dataclass(frozen=True, eq=False)
class VenueSnapshot:
    """The catalog in venue id order (so position order is the final tie-break)."""

    window: int
    ids: list[uuid.UUID]
    position: dict[uuid.UUID, int]
    names: list[str]
    categories: list[str | None]
    category_code: np.ndarray  # int32 per venue, NO_CATEGORY when none
    category_codes: dict[str, int]
    lat: np.ndarray
    lng: np.ndarray
    phi: np.ndarray  # latitude in radians
    cos_phi: np.ndarray
    price_level: np.ndarray  # float, NaN when unknown (fails every price constraint)
    rating: np.ndarray  # float, NaN when unknown
    positive_counts: np.ndarray  # int64
    popularity: np.ndarray  # SPEC §3 popularity feature
    popularity_bucket: np.ndarray  # "top N%" of reasons, 0 when none
    by_latitude: np.ndarray  # positions sorted by latitude (venues near a point, quickly)
    latitudes: np.ndarray  # lat[by_latitude]
    by_popularity: np.ndarray  # positions, most positive interactions first
    # venues.repository.catalog_digest of the rows it was built from (None: not known)
    catalog_digest: str | None = None

    @classmethod
    def build(
        cls,
        window: int,
        venue_rows: Iterable[
            tuple[uuid.UUID, str, str | None, float, float, int | None, float | None]
        ],
        counts: Mapping[uuid.UUID, int],
        catalog_digest: str | None = None,
    ) -> "VenueSnapshot":
        rows = sorted(venue_rows, key=lambda row: row[0].int)  # as UUID order, in C
        ids = [row[0] for row in rows]
        categories = [row[2] for row in rows]
        category_codes = {
            name: code for code, name in enumerate(sorted({c for c in categories if c}))
        }
        lat = np.array([row[3] for row in rows], dtype=np.float64)
        phi = np.radians(lat)
        return cls(
            window=window,
            ids=ids,
            position={vid: i for i, vid in enumerate(ids)},
            names=[row[1] for row in rows],
            categories=categories,
            category_code=np.array(
                [category_codes.get(c, NO_CATEGORY) if c else NO_CATEGORY for c in categories],
                dtype=np.int32,
            ),
            category_codes=category_codes,
            lat=lat,
            lng=np.array([row[4] for row in rows], dtype=np.float64),
            phi=phi,
            cos_phi=np.cos(phi),
            price_level=np.array(
                [math.nan if row[5] is None else row[5] for row in rows], dtype=np.float64
            ),
            rating=np.array(
                [math.nan if row[6] is None else row[6] for row in rows], dtype=np.float64
            ),
            by_latitude=(by_latitude := np.argsort(lat, kind="stable")),
            latitudes=lat[by_latitude],
            catalog_digest=catalog_digest,
            **_popularity_fields(ids, counts),
        )

    def with_counts(self, window: int, counts: Mapping[uuid.UUID, int]) -> "VenueSnapshot":
        """This catalog with other popularity counts: a window's reload when no venue changed
        (the catalog's arrays are shared, never written)."""
        return dataclasses.replace(self, window=window, **_popularity_fields(self.ids, counts))

    def __len__(self) -> int:
        return len(self.ids)


def _popularity_fields(ids: list[uuid.UUID], counts: Mapping[uuid.UUID, int]) -> dict[str, Any]:
    """The snapshot's popularity arrays for the venues `ids`, in that order."""
    positive_counts = np.array([counts.get(vid, 0) for vid in ids], dtype=np.int64)
    top = int(positive_counts.max(initial=0))
    return {
        "positive_counts": positive_counts,
        "popularity": (
            positive_counts / float(top) if top > 0 else np.zeros(len(ids), dtype=np.float64)
        ),
        "popularity_bucket": popularity_bucket_array(positive_counts),
        "by_popularity": np.argsort(-positive_counts, kind="stable"),
    }


def popularity_bucket_array(positive_counts: np.ndarray) -> np.ndarray:
    """`reasons.popularity_buckets` at every position (0: in no bucket), in vector form: a
    Python loop over 20,000 venues took 35 ms of each reload, holding the GIL."""
    ascending = np.sort(positive_counts[positive_counts > 0])
    total = len(ascending)
    if total < 2:
        return np.zeros(len(positive_counts), dtype=np.int16)
    # Rank = 1 + number of venues strictly more liked; share as reasons computes it.
    rank = 1 + total - np.searchsorted(ascending, positive_counts, side="right")
    share = 100 * rank / total
    limits = np.array(reasons.POPULARITY_BUCKETS)
    at = np.searchsorted(limits, share, side="left")  # the first bucket with share <= it
    buckets = np.where(at < len(limits), limits[np.minimum(at, len(limits) - 1)], 0)
    return np.where(positive_counts > 0, buckets, 0).astype(np.int16)


@dataclass(frozen=True)
class OwnEngagement:
    """A person's interactions, aggregated per venue, at the snapshot's positions."""

    by_venue: dict[uuid.UUID, Engagement]
    positions: np.ndarray  # int64 positions of the venues in the snapshot
    positive: np.ndarray  # float64 positive counts at those positions
    dwell: np.ndarray  # float64 dwell seconds at those positions

    @classmethod
    def build(
        cls, snapshot: VenueSnapshot, rows: Iterable[tuple[uuid.UUID, int, int]]
    ) -> "OwnEngagement":
        by_venue = {vid: Engagement(int(pos), int(dwell)) for vid, pos, dwell in rows}
        # A venue newer than the snapshot is not a candidate yet: it cannot be scored.
        known = [(snapshot.position[v], e) for v, e in by_venue.items() if v in snapshot.position]
        return cls(
            by_venue=by_venue,
            positions=np.array([p for p, _ in known], dtype=np.int64),
            positive=np.array([e.positive_count for _, e in known], dtype=np.float64),
            dwell=np.array([e.dwell_seconds for _, e in known], dtype=np.float64),
        )


@dataclass(frozen=True)
class VenueScores:
    """SPEC §3 features and score of every venue in a snapshot, for one person."""

    score: np.ndarray
    distance: np.ndarray | None  # km; None when there is no origin
    spatial: np.ndarray
    preference: np.ndarray
    popularity: np.ndarray

    def distance_at(self, i: int) -> float | None:
        return None if self.distance is None else float(self.distance[i])

    def take(self, at: np.ndarray) -> "VenueScores":
        """The scores at `at` only, in that order."""
        return VenueScores(
            self.score[at],
            None if self.distance is None else self.distance[at],
            self.spatial[at],
            self.preference[at],
            self.popularity[at],
        )


def distances_km(
    snapshot: VenueSnapshot, origin: tuple[float, float], at: np.ndarray | None = None
) -> np.ndarray:
    """`geo.haversine_km` from `origin` to every venue (or those at positions `at`), step for
    step in the same order."""
    phi, cos_phi, lng = (
        (snapshot.phi, snapshot.cos_phi, snapshot.lng)
        if at is None
        else (snapshot.phi[at], snapshot.cos_phi[at], snapshot.lng[at])
    )
    phi1 = math.radians(origin[0])
    dphi = phi - phi1
    dlmb = np.radians(lng - origin[1])
    a = np.sin(dphi / 2) ** 2 + (math.cos(phi1) * cos_phi) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def score_venues(
    snapshot: VenueSnapshot,
    origin: tuple[float, float] | None,
    own: OwnEngagement,
    settings: RecoSettings,
    at: np.ndarray | None = None,
) -> VenueScores:
    """The vector form of `heuristic.all_venue_scores` (same formula, same operation order),
    for every venue or for the venues at the sorted positions `at` (which must hold every
    venue the person engaged with)."""
    popularity = snapshot.popularity if at is None else snapshot.popularity[at]
    n = len(popularity)
    if origin is None:
        distance = None
        spatial = np.zeros(n, dtype=np.float64)
    else:
        distance = distances_km(snapshot, origin, at)
        spatial = np.exp(-settings.spatial_decay_per_km * distance)
    preference = np.zeros(n, dtype=np.float64)
    if len(own.positions):
        where = own.positions if at is None else np.searchsorted(at, own.positions)
        preference[where] = np.minimum(
            1.0,
            settings.preference_per_positive * own.positive
            + own.dwell / settings.preference_dwell_seconds,
        )
    score = (
        settings.venue_weight_spatial * spatial
        + settings.venue_weight_preference * preference
        + settings.venue_weight_popularity * popularity
    )
    return VenueScores(score, distance, spatial, preference, popularity)


def admitted(
    snapshot: VenueSnapshot,
    scores: VenueScores,
    constraints: VenueConstraints,
    own: OwnEngagement,
    at: np.ndarray | None = None,
) -> np.ndarray | None:
    """Boolean mask of the venues (all, or those at `at`) meeting every hard constraint (None:
    no constraint). Same rules as `constraints.admits`: an unknown price, rating or distance
    fails."""
    c = constraints
    n = len(scores.score)
    mask: np.ndarray | None = None

    def narrow(condition: np.ndarray) -> None:
        nonlocal mask
        mask = condition if mask is None else mask & condition

    def column(values: np.ndarray) -> np.ndarray:
        return values if at is None else values[at]

    if c.max_distance_km is not None:
        if scores.distance is None:
            narrow(np.zeros(n, dtype=bool))
        else:
            narrow(scores.distance <= c.max_distance_km)
    if c.max_price_level is not None:
        narrow(column(snapshot.price_level) <= c.max_price_level)
    if c.min_rating is not None:
        narrow(column(snapshot.rating) >= c.min_rating)
    if c.categories is not None:
        codes = [snapshot.category_codes[k] for k in c.categories if k in snapshot.category_codes]
        narrow(np.isin(column(snapshot.category_code), np.array(codes, dtype=np.int32)))
    if c.exclude_visited and len(own.positions):
        unvisited = np.ones(n, dtype=bool)
        unvisited[own.positions if at is None else np.searchsorted(at, own.positions)] = False
        narrow(unvisited)
    return mask


# Pruning (see best_positions): the venues scored first are those within this radius of the
# origin, the most popular ones and the person's own; below PRUNE_FROM venues, all are scored.
NEAR_KM = 3.0
MOST_POPULAR = 64
PRUNE_FROM = 2000
# Floating-point slack of the pruning bound (scores are sums of three terms of at most 1).
BOUND_SLACK = 1e-9


def best_positions(
    snapshot: VenueSnapshot,
    origin: tuple[float, float] | None,
    own: OwnEngagement,
    settings: RecoSettings,
    constraints: VenueConstraints,
    limit: int,
) -> tuple[np.ndarray, VenueScores]:
    """The positions of the best `limit` venues (ranked as `top_positions`) and the scores
    at those positions (aligned with them).

    Most of a city cannot make a person's top ten: a venue the person never engaged with
    scores at most w_spatial · exp(-decay · distance) + w_popularity · popularity. So the
    venues near the origin, the most popular ones and the person's own are scored first; if
    the limit-th best of them beats that bound for every venue left out (farther than
    NEAR_KM and less popular than the MOST_POPULAR-th), they are the answer. Otherwise (a
    remote origin, tight constraints, unusual weights) every venue is scored. Either way
    the answer is the exhaustive one."""
    subset = _near_popular_and_own(snapshot, origin, own, settings)
    if subset is not None:
        scores = score_venues(snapshot, origin, own, settings, at=subset)
        mask = admitted(snapshot, scores, constraints, own, at=subset)
        top = top_positions(scores, mask, limit)
        if len(top) == limit and scores.score[top[-1]] > _bound_outside(snapshot, origin, settings):
            return subset[top], scores.take(top)
    scores = score_venues(snapshot, origin, own, settings)
    top = top_positions(scores, admitted(snapshot, scores, constraints, own), limit)
    return top, scores.take(top)


def _near_popular_and_own(
    snapshot: VenueSnapshot,
    origin: tuple[float, float] | None,
    own: OwnEngagement,
    settings: RecoSettings,
) -> np.ndarray | None:
    """Sorted positions to score first, or None when pruning cannot pay or cannot be proven
    (a small catalog, or negative weights)."""
    weights = (
        settings.venue_weight_spatial,
        settings.venue_weight_preference,
        settings.venue_weight_popularity,
    )
    if len(snapshot) < PRUNE_FROM or min(weights) < 0:
        return None
    parts = [own.positions, snapshot.by_popularity[:MOST_POPULAR]]
    if origin is not None:
        # A box holding the circle of NEAR_KM (a little more, for rounding): every venue
        # outside it is farther than NEAR_KM.
        min_lat, max_lat, min_lng, max_lng = bounding_box(origin[0], origin[1], NEAR_KM * 1.01)
        lo = np.searchsorted(snapshot.latitudes, min_lat, side="left")
        hi = np.searchsorted(snapshot.latitudes, max_lat, side="right")
        band = snapshot.by_latitude[lo:hi]
        lng = snapshot.lng[band]
        parts.append(band[(lng >= min_lng) & (lng <= max_lng)])
    return _sorted_unique(np.concatenate(parts))


def _sorted_unique(positions: np.ndarray) -> np.ndarray:
    """np.unique for the few hundred positions of one request: a tenth of its cost here
    (numpy's hash-based unique has a high fixed cost)."""
    positions = np.sort(positions)
    if len(positions) < 2:
        return positions
    return positions[np.concatenate(([True], positions[1:] != positions[:-1]))]


def _bound_outside(
    snapshot: VenueSnapshot, origin: tuple[float, float] | None, settings: RecoSettings
) -> float:
    """The best score any venue outside `_near_popular_and_own` could have."""
    spatial = 0.0 if origin is None else math.exp(-settings.spatial_decay_per_km * NEAR_KM)
    rest = snapshot.by_popularity[MOST_POPULAR : MOST_POPULAR + 1]
    popularity = float(snapshot.popularity[rest[0]]) if len(rest) else 0.0
    return (
        settings.venue_weight_spatial * spatial
        + settings.venue_weight_popularity * popularity
        + BOUND_SLACK
    )


def top_positions(scores: VenueScores, mask: np.ndarray | None, limit: int) -> np.ndarray:
    """Positions of the best `limit` venues: highest score, then nearer (unknown distance
    last), then lower venue id (position order), exactly as `heuristic.venue_rank_key`."""
    candidates = np.flatnonzero(mask) if mask is not None else np.arange(len(scores.score))
    score = scores.score[candidates]
    if len(candidates) > limit:
        # Keep everything scoring at least the limit-th best score (ties included), then sort.
        keep = score >= _limit_th_best_at_most(score, limit)
        candidates, score = candidates[keep], score[keep]
        if len(candidates) > 4 * limit:
            keep = score >= np.partition(score, len(score) - limit)[len(score) - limit]
            candidates, score = candidates[keep], score[keep]
    distance = (
        np.full(len(candidates), np.inf) if scores.distance is None else scores.distance[candidates]
    )
    order = np.lexsort((candidates, distance, -score))
    return candidates[order[:limit]]


def group_positions(member_scores: list[VenueScores], limit: int) -> np.ndarray:
    """Sorted positions holding the answer of every group strategy (reco/group.py) for a
    group whose members' scores are `member_scores`: each member's top max(10, 2·limit) (the
    fair strategy's relevance, and each favourite) and the best 2·limit + 10 by the average
    and the least-misery keys (the fair strategy's fill, with room for its picks). Ranking
    the group among these gives the same answer as among every venue."""
    k = max(10, 2 * limit)
    parts = [top_positions(scores, None, k) for scores in member_scores]
    total = np.zeros(len(member_scores[0].score))
    for scores in member_scores:  # in member order, as group.GroupCandidate.mean sums
        total = total + scores.score
    mean = total / len(member_scores)
    minimum = np.minimum.reduce([scores.score for scores in member_scores])
    known = [scores.distance for scores in member_scores if scores.distance is not None]
    trip = np.fmax.reduce(known) if known else np.full(len(mean), np.inf)
    positions = np.arange(len(mean))
    room = 2 * limit + 10
    parts.append(np.lexsort((positions, trip, -mean))[:room])
    parts.append(np.lexsort((positions, trip, -mean, -minimum))[:room])
    return _sorted_unique(np.concatenate(parts))


def _limit_th_best_at_most(score: np.ndarray, limit: int) -> float:
    """A value no greater than the limit-th best score, found cheaply: the limit-th best of
    an even sample (at least `limit` scores of the whole reach it), which on a large array
    already leaves only a few times `limit` scores above it."""
    stride = max(1, len(score) // (32 * limit))
    sample = score[::stride]
    return float(np.partition(sample, len(sample) - limit)[len(sample) - limit])


def window_cutoff(window: int, refresh_seconds: float) -> datetime:
    """Popularity in window `window` counts the interactions recorded before this time."""
    return datetime.fromtimestamp(window * refresh_seconds - GRACE_SECONDS, UTC)


class VenueIndex:
    """Holds the current snapshot of one process and reloads it once per window."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        refresh_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._session_factory = session_factory
        self.refresh_seconds = refresh_seconds
        self._clock = clock
        self._current: VenueSnapshot | None = None
        self._lock = threading.Lock()
        self._reloading = False

    def snapshot(self, session: Session) -> VenueSnapshot:
        """The snapshot to score with, for work on a session (group recommendations, the
        learned ranker); `session` is used when every request reloads, so the snapshot and
        the person's own data come from one transaction."""
        if self.refresh_seconds <= 0:
            return load_snapshot(session)
        return self._windowed()

    def _windowed(self) -> VenueSnapshot:
        window = int(self._clock() // self.refresh_seconds)
        current = self._current
        if current is None:
            with self._lock:
                if self._current is None:
                    self._current = self._load(window)
                return self._current
        if current.window < window:
            self._reload_in_background(window)
        return current

    async def current(self) -> VenueSnapshot:
        """The snapshot to score with, for a request in the event loop: the window's, without
        waiting (a stale one starts its reload in the background); when every request reloads,
        or before the first load, loaded on a worker thread."""
        if self.refresh_seconds > 0 and self._current is not None:
            return self._windowed()  # no I/O

        def load() -> VenueSnapshot:
            with self._session_factory() as session:
                return self.snapshot(session)

        return await run_in_threadpool(load)

    def warm(self) -> None:
        """Start loading the current window's snapshot in the background (at start-up)."""
        if self.refresh_seconds > 0 and self._current is None:
            self._reload_in_background(int(self._clock() // self.refresh_seconds))

    def _window_cutoff(self, window: int) -> datetime:
        return window_cutoff(window, self.refresh_seconds)

    def _load(self, window: int) -> VenueSnapshot:
        started = time.perf_counter()
        with self._session_factory() as session:
            counts = interaction_repository.popularity_at_window(
                session,
                window,
                self._window_cutoff(window),
                self._window_cutoff(window - 1),
                COUNT_ALL_EVERY_WINDOWS,
            )
            session.commit()  # stored for the other processes
            # Reading 20,000 venues (UUIDs, names) and building their arrays held the GIL for
            # ~100 ms of each reload at S3; their digest is computed by the database.
            digest = venue_repository.catalog_digest(session)
            current = self._current
            if digest is not None and current is not None and current.catalog_digest == digest:
                snapshot = current.with_counts(window, counts)
            else:
                rows = venue_repository.candidate_rows(session)
                snapshot = VenueSnapshot.build(window, rows, counts, catalog_digest=digest)
        logger.info(
            "venue index loaded",
            extra={
                "venues": len(snapshot),
                "window": window,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return snapshot

    def _reload_in_background(self, window: int) -> None:
        with self._lock:
            if self._reloading:
                return
            self._reloading = True

        def reload() -> None:
            try:
                snapshot = self._load(window)
                with self._lock:
                    if self._current is None or self._current.window < snapshot.window:
                        self._current = snapshot
                freeze_long_lived()  # the snapshot lives for the window (luna.heap)
            except Exception:  # the old snapshot keeps serving; the next request retries
                logger.exception("venue index reload failed")
            finally:
                with self._lock:
                    self._reloading = False

        threading.Thread(target=reload, name=RELOAD_THREAD, daemon=True).start()


def load_snapshot(session: Session) -> VenueSnapshot:
    """Every venue and every positive interaction as of now (a reload on every request)."""
    return VenueSnapshot.build(
        0,
        venue_repository.candidate_rows(session),
        interaction_repository.positive_counts_by_venue(session),
    )
