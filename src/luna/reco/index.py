"""The venue index: every venue and its popularity as numpy arrays, one copy per process.

Scoring a city's venues row by row costs about a microsecond per venue in SQL and more in
Python; as arrays it is a dozen vector operations (about 15 µs per thousand venues). The
catalog and the popularity counts are the same for everyone and change slowly, so each process
keeps a snapshot of them and reloads it once per window of `LUNA_RECO_REFRESH_SECONDS`. What is
personal, the home and the person's own interactions, is read on every request, so a person's
new interaction shows in their very next recommendation.

Windows are aligned to the clock (window n starts at n * T), and the snapshot of window n
counts the interactions recorded before n * T - GRACE_SECONDS. Every process that has loaded
window n therefore holds the same counts, whenever it loaded them, and answers the same. The
grace covers write transactions still open at the cut. Popularity thus lags by at most one
window plus the grace plus the reload (about half a second at 4 million interactions); a new,
changed or deleted venue reaches the index at the next window too. Reloads run in a background
thread: requests keep using the previous snapshot meanwhile.
"""

import logging
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from luna.config import RecoSettings
from luna.geo import EARTH_RADIUS_KM
from luna.interactions import repository as interaction_repository
from luna.reco import reasons
from luna.reco.constraints import VenueConstraints
from luna.reco.heuristic import Engagement
from luna.venues import repository as venue_repository

logger = logging.getLogger(__name__)

GRACE_SECONDS = 2.0
# (id, name, category, lat, lng, price_level, rating), as venues.repository.candidate_rows
VenueRow = tuple[uuid.UUID, str, str | None, float, float, int | None, float | None]
NO_CATEGORY = -1


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

    @classmethod
    def build(
        cls,
        window: int,
        venue_rows: Iterable[
            tuple[uuid.UUID, str, str | None, float, float, int | None, float | None]
        ],
        counts: Mapping[uuid.UUID, int],
    ) -> "VenueSnapshot":
        rows = sorted(venue_rows, key=lambda row: row[0])
        ids = [row[0] for row in rows]
        categories = [row[2] for row in rows]
        category_codes = {
            name: code for code, name in enumerate(sorted({c for c in categories if c}))
        }
        lat = np.array([row[3] for row in rows], dtype=np.float64)
        positive_counts = np.array([counts.get(vid, 0) for vid in ids], dtype=np.int64)
        top = int(positive_counts.max(initial=0))
        buckets = reasons.popularity_buckets(counts)
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
            positive_counts=positive_counts,
            popularity=(
                positive_counts / float(top) if top > 0 else np.zeros(len(ids), dtype=np.float64)
            ),
            popularity_bucket=np.array([buckets.get(vid, 0) for vid in ids], dtype=np.int16),
        )

    def __len__(self) -> int:
        return len(self.ids)


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


def distances_km(snapshot: VenueSnapshot, origin: tuple[float, float]) -> np.ndarray:
    """`geo.haversine_km` from `origin` to every venue, step for step in the same order."""
    phi1 = math.radians(origin[0])
    dphi = snapshot.phi - phi1
    dlmb = np.radians(snapshot.lng - origin[1])
    a = np.sin(dphi / 2) ** 2 + (math.cos(phi1) * snapshot.cos_phi) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def score_venues(
    snapshot: VenueSnapshot,
    origin: tuple[float, float] | None,
    own: OwnEngagement,
    settings: RecoSettings,
) -> VenueScores:
    """The vector form of `heuristic.all_venue_scores` (same formula, same operation order)."""
    n = len(snapshot)
    if origin is None:
        distance = None
        spatial = np.zeros(n, dtype=np.float64)
    else:
        distance = distances_km(snapshot, origin)
        spatial = np.exp(-settings.spatial_decay_per_km * distance)
    preference = np.zeros(n, dtype=np.float64)
    if len(own.positions):
        preference[own.positions] = np.minimum(
            1.0,
            settings.preference_per_positive * own.positive
            + own.dwell / settings.preference_dwell_seconds,
        )
    score = (
        settings.venue_weight_spatial * spatial
        + settings.venue_weight_preference * preference
        + settings.venue_weight_popularity * snapshot.popularity
    )
    return VenueScores(score, distance, spatial, preference, snapshot.popularity)


def admitted(
    snapshot: VenueSnapshot,
    scores: VenueScores,
    constraints: VenueConstraints,
    own: OwnEngagement,
) -> np.ndarray | None:
    """Boolean mask of the venues meeting every hard constraint (None: no constraint).
    Same rules as `constraints.admits`: an unknown price, rating or distance fails."""
    c = constraints
    mask: np.ndarray | None = None

    def narrow(condition: np.ndarray) -> None:
        nonlocal mask
        mask = condition if mask is None else mask & condition

    if c.max_distance_km is not None:
        if scores.distance is None:
            narrow(np.zeros(len(snapshot), dtype=bool))
        else:
            narrow(scores.distance <= c.max_distance_km)
    if c.max_price_level is not None:
        narrow(snapshot.price_level <= c.max_price_level)
    if c.min_rating is not None:
        narrow(snapshot.rating >= c.min_rating)
    if c.categories is not None:
        codes = [snapshot.category_codes[n] for n in c.categories if n in snapshot.category_codes]
        narrow(np.isin(snapshot.category_code, np.array(codes, dtype=np.int32)))
    if c.exclude_visited and len(own.positions):
        unvisited = np.ones(len(snapshot), dtype=bool)
        unvisited[own.positions] = False
        narrow(unvisited)
    return mask


def top_positions(scores: VenueScores, mask: np.ndarray | None, limit: int) -> np.ndarray:
    """Positions of the best `limit` venues: highest score, then nearer (unknown distance
    last), then lower venue id (position order), exactly as `heuristic.venue_rank_key`."""
    candidates = np.flatnonzero(mask) if mask is not None else np.arange(len(scores.score))
    score = scores.score[candidates]
    if len(candidates) > limit:
        # Keep everything scoring at least the limit-th best score (ties included), then sort.
        kth_best = np.partition(score, len(score) - limit)[len(score) - limit]
        keep = score >= kth_best
        candidates, score = candidates[keep], score[keep]
    distance = (
        np.full(len(candidates), np.inf) if scores.distance is None else scores.distance[candidates]
    )
    order = np.lexsort((candidates, distance, -score))
    return candidates[order[:limit]]


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
        """The snapshot to score with; `session` is the request's (used when every request
        reloads, so the snapshot and the person's own data come from one transaction)."""
        if self.refresh_seconds <= 0:
            return load_snapshot(session, window=0, cutoff=None)
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

    def _window_cutoff(self, window: int) -> datetime:
        return datetime.fromtimestamp(window * self.refresh_seconds - GRACE_SECONDS, UTC)

    def _load(self, window: int) -> VenueSnapshot:
        started = time.perf_counter()
        with self._session_factory() as session:
            snapshot = load_snapshot(session, window, self._window_cutoff(window))
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
            except Exception:  # the old snapshot keeps serving; the next request retries
                logger.exception("venue index reload failed")
            finally:
                with self._lock:
                    self._reloading = False

        threading.Thread(target=reload, name="venue-index-reload", daemon=True).start()


def load_snapshot(session: Session, window: int, cutoff: datetime | None) -> VenueSnapshot:
    return VenueSnapshot.build(
        window,
        venue_repository.candidate_rows(session),
        interaction_repository.positive_counts_by_venue(session, recorded_before=cutoff),
    )
