"""The venue index: every venue and its popularity as numpy arrays, one copy per process.

The catalog and the popularity counts are the same for everyone and change slowly, so each
process keeps a snapshot of them (`VenueSnapshot`, scored by `luna.reco.ranking`) and reloads
it once per window of `LUNA_RECO_REFRESH_SECONDS`. What is personal, the home and the person's
own interactions, is read on every request, so a person's new interaction shows in their very
next recommendation.

Windows are aligned to the clock (window n starts at n * T), and the snapshot of window n
counts the interactions recorded before n * T - GRACE_SECONDS. The first process to reach a
window computes these counts (`luna.reco.popularity`), as window n - 1's plus those recorded
between the two cuts, and stores them in the database (`popularity_windows`); every other
process reads them, so all hold the same counts, whenever they loaded them, and answer the
same. The grace covers write transactions still open at the cut; one that commits later still
is counted at the next full count (every COUNT_ALL_EVERY_WINDOWS windows, or after a person's
deletion or a bulk import). Popularity thus lags by at most one window plus the grace plus the
reload (its cost: docs/performance.md); a new, changed or deleted venue reaches the index at
the next window too. Reloads run in a background thread: requests keep using the previous
snapshot meanwhile.
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

from luna.geo import distances_km
from luna.heap import freeze_long_lived
from luna.interactions import popularity_repository
from luna.reco import heuristic, reasons
from luna.reco.heuristic import Engagement
from luna.reco.popularity import popularity_at_window
from luna.venues import repository as venue_repository
from luna.vibes import repository as vibe_repository
from luna.vibes.profiles import VibeMatrix
from luna.vibes.vocabulary import FORMAT_VERSION, VIBE_NAMES

logger = logging.getLogger(__name__)

GRACE_SECONDS = 2.0
# A window's popularity is the window before's plus what was recorded in between, computed
# once for every process (luna.reco.popularity.popularity_at_window); every this many
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
    popularity: np.ndarray  # SPEC §3 popularity feature (heuristic.popularity)
    popularity_bucket: np.ndarray  # "top N%" of reasons, 0 when none
    by_latitude: np.ndarray  # positions sorted by latitude (venues near a point, quickly)
    latitudes: np.ndarray  # lat[by_latitude]
    by_popularity: np.ndarray  # positions, most positive interactions first
    # venues.repository.catalog_digest of the rows it was built from (None: not known)
    catalog_digest: str | None = None
    # Every venue's vibe profile (luna.vibes): the newest stored version, priors elsewhere.
    vibes: VibeMatrix = dataclasses.field(
        default_factory=lambda: VibeMatrix.build([], [], None, [])
    )

    @classmethod
    def build(
        cls,
        window: int,
        venue_rows: Iterable[VenueRow],
        counts: Mapping[uuid.UUID, int],
        catalog_digest: str | None = None,
        vibe_version: int | None = None,
        vibe_rows: Iterable[Any] = (),
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
            vibes=VibeMatrix.build(ids, categories, vibe_version, vibe_rows),
            **_popularity_fields(ids, counts),
        )

    def with_counts(self, window: int, counts: Mapping[uuid.UUID, int]) -> "VenueSnapshot":
        """This catalog with other popularity counts: a window's reload when no venue changed
        (the catalog's arrays are shared, never written)."""
        return dataclasses.replace(self, window=window, **_popularity_fields(self.ids, counts))

    def with_vibes(self, version: int | None, rows: Iterable[Any]) -> "VenueSnapshot":
        """This snapshot with another version of the vibe profiles."""
        return dataclasses.replace(
            self, vibes=VibeMatrix.build(self.ids, self.categories, version, rows)
        )

    def __len__(self) -> int:
        return len(self.ids)

    def distances_km(self, origin: tuple[float, float], at: np.ndarray | None = None) -> np.ndarray:
        """Distance from `origin` to every venue, or to the venues at positions `at`."""
        if at is None:
            return distances_km(origin, self.phi, self.cos_phi, self.lng)
        return distances_km(origin, self.phi[at], self.cos_phi[at], self.lng[at])


def _popularity_fields(ids: list[uuid.UUID], counts: Mapping[uuid.UUID, int]) -> dict[str, Any]:
    """The snapshot's popularity arrays for the venues `ids`, in that order."""
    positive_counts = np.array([counts.get(vid, 0) for vid in ids], dtype=np.int64)
    return {
        "positive_counts": positive_counts,
        "popularity": heuristic.popularity(positive_counts),
        "popularity_bucket": reasons.popularity_bucket_array(positive_counts),
        "by_popularity": np.argsort(-positive_counts, kind="stable"),
    }


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
        """The snapshot to score with: the window's, without waiting (a stale one starts its
        reload in the background); `session` is used when every request reloads, so the
        snapshot and the person's own data come from one transaction."""
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

    def warm(self) -> None:
        """Start loading the current window's snapshot in the background (at start-up)."""
        if self.refresh_seconds > 0 and self._current is None:
            self._reload_in_background(int(self._clock() // self.refresh_seconds))

    def _load(self, window: int) -> VenueSnapshot:
        started = time.perf_counter()
        with self._session_factory() as session:
            counts = popularity_at_window(
                session,
                window,
                window_cutoff(window, self.refresh_seconds),
                window_cutoff(window - 1, self.refresh_seconds),
                COUNT_ALL_EVERY_WINDOWS,
            )
            session.commit()  # stored for the other processes
            # The catalog is read and its arrays built (holding the GIL) only when it changed;
            # the database computes its digest.
            digest = venue_repository.catalog_digest(session)
            current = self._current
            if digest is not None and current is not None and current.catalog_digest == digest:
                snapshot = current.with_counts(window, counts)
                version = vibe_repository.latest_version(session, FORMAT_VERSION, VIBE_NAMES)
                if version != snapshot.vibes.version:
                    vibe_rows = vibe_repository.profiles(session, version) if version else []
                    snapshot = snapshot.with_vibes(version, vibe_rows)
            else:
                rows = venue_repository.candidate_rows(session)
                version, vibe_rows = vibe_repository.latest_profiles(
                    session, FORMAT_VERSION, VIBE_NAMES
                )
                snapshot = VenueSnapshot.build(
                    window, rows, counts, digest, vibe_version=version, vibe_rows=vibe_rows
                )
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
    """Every venue, every positive interaction and the vibe profiles as of now (a reload on
    every request)."""
    version, vibe_rows = vibe_repository.latest_profiles(session, FORMAT_VERSION, VIBE_NAMES)
    return VenueSnapshot.build(
        0,
        venue_repository.candidate_rows(session),
        popularity_repository.positive_counts_by_venue(session),
        vibe_version=version,
        vibe_rows=vibe_rows,
    )
