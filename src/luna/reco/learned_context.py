"""The learned route's loaded ranker and its catalog context per venue index snapshot
(`LearnedVenues`; luna.reco.learned ranks a person with them), and the local time both read.

The context (popularity, distinct visitors, recent trend, item-to-item neighbours, when each
category is visited) is built from every positive interaction, once per venue index snapshot
(`VenueSnapshot`, reloaded once per LUNA_RECO_REFRESH_SECONDS window), and cached here by
snapshot. When the catalog of a new snapshot is the previous one's (the usual case), requests
keep the previous context while the new one builds in a background thread, so no request
waits for it; a changed catalog (a venue added or removed) is built in the request that first
sees it. Times are New York's local time, as `luna.learning.database` reads the check-ins the
model learned from.
"""

import functools
import logging
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import luna.clock
from luna.learning.database import LOCAL_TIME_ZONE
from luna.learning.features import CatalogContext, VenueTable, build_context
from luna.models import Interaction
from luna.models.enums import POSITIVE_INTERACTION_TYPES
from luna.reco.index import VenueIndex, VenueSnapshot

if TYPE_CHECKING:
    from luna.learning.serving import LearnedVenueRanker

logger = logging.getLogger(__name__)

# How stale the catalog context may get while the catalog stays the same: building it reads
# every positive interaction (seconds at S3: docs/evaluation.md), so not every index window
# rebuilds it. Popularity, trends and neighbours move slowly; the person's own history is
# always fresh.
CONTEXT_MAX_AGE_SECONDS = 600.0
# The context's background builds (tests wait for them before emptying the tables).
WARM_UP_THREAD, REBUILD_THREAD = "venue-model-warm-up", "venue-model-context"
# Up to this many times, local_seconds looks each one's offset up (no np.unique).
FEW_TIMES = 256
_EVERYONE = select(Interaction.user_id, Interaction.venue_id, Interaction.occurred_at).where(
    Interaction.interaction_type.in_(POSITIVE_INTERACTION_TYPES)
)


def local_seconds(utc: np.ndarray) -> np.ndarray:
    """Wall-clock seconds in Luna's city (LOCAL_TIME_ZONE) for UTC epoch seconds; the offset
    is computed once per distinct hour (and cached)."""
    if len(utc) <= FEW_TIMES:  # one person's: a lookup each is cheaper than finding the hours
        hours = (utc // 3600).tolist()
        return utc + np.array([_offset_seconds(h * 3600) for h in hours], dtype=np.int64)
    hours, inverse = np.unique(utc // 3600, return_inverse=True)
    offsets = np.array([_offset_seconds(int(h) * 3600) for h in hours.tolist()], dtype=np.int64)
    return utc + offsets[inverse.ravel()]


@functools.lru_cache(maxsize=65_536)
def _offset_seconds(utc: int) -> int:
    offset = datetime.fromtimestamp(utc, UTC).astimezone(LOCAL_TIME_ZONE).utcoffset()
    return int(offset.total_seconds()) if offset else 0


def epoch_seconds(when: datetime) -> int:
    """UTC epoch seconds of `when` (a naive time is taken as UTC)."""
    return int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp())


def venue_table(snapshot: VenueSnapshot) -> VenueTable:
    """The snapshot's venues as the ranker's table; venues without a category share one
    extra code (as `luna train`'s "uncategorised")."""
    n_codes = len(snapshot.category_codes)
    category = np.where(snapshot.category_code < 0, n_codes, snapshot.category_code)
    return VenueTable(snapshot.lat, snapshot.lng, category.astype(np.int32), n_codes + 1)


def build_snapshot_context(session: Session, snapshot: VenueSnapshot, now: int) -> CatalogContext:
    """Every positive interaction (one statement), summarised at the snapshot's positions."""
    rows = session.connection().execute(_EVERYONE).all()
    position = snapshot.position
    users: dict[uuid.UUID, int] = {}
    user_codes, venues, utc = [], [], []
    for user_id, venue_id, occurred_at in rows:
        p = position.get(venue_id)
        if p is None:  # a venue newer than the snapshot
            continue
        user_codes.append(users.setdefault(user_id, len(users)))
        venues.append(p)
        utc.append(epoch_seconds(occurred_at))
    utc_array = np.array(utc, dtype=np.int64)
    before = utc_array < now
    return build_context(
        venue_table(snapshot),
        np.array(user_codes, dtype=np.int64)[before],
        np.array(venues, dtype=np.int64)[before],
        utc_array[before],
        local_seconds(utc_array[before]),
        np.ones(int(before.sum()), dtype=bool),
        now,
    )


class LearnedVenues:
    """The loaded ranker and its catalog context per venue snapshot (one per process)."""

    def __init__(
        self,
        ranker: "LearnedVenueRanker",
        session_factory: sessionmaker[Session] | None = None,
        clock: Callable[[], float] = time.time,
        now: Callable[[], int] = luna.clock.now_seconds,
    ) -> None:
        """`session_factory` lets a new window's context build in the background (without
        it, the first request of each window builds it). `clock` times the contexts' ages;
        `now` is the service's now (`luna.clock`, LUNA_CLOCK): what the context's recent
        counts and trends, and a request's recency without `at`, count from."""
        self.ranker = ranker
        self._session_factory = session_factory
        self._clock = clock
        self.now = now
        self._contexts: weakref.WeakKeyDictionary[VenueSnapshot, CatalogContext] = (
            weakref.WeakKeyDictionary()
        )
        # The latest context and its snapshot's window and catalog (not the snapshot: the
        # index drops it when the next window's arrives).
        self._latest: tuple[int, list[uuid.UUID], CatalogContext] | None = None
        self._built_at = 0.0
        self._lock = threading.Lock()
        self._building: set[int] = set()

    def warm(self, index: VenueIndex) -> None:
        """Build the first window's context in the background at start-up, so that the first
        learned request does not wait for it. Nothing to warm when the index reloads on every
        request (each request builds its own context then)."""
        factory = self._session_factory
        if factory is None or index.refresh_seconds <= 0:
            return

        def build() -> None:
            try:
                with factory() as session:
                    self.context(session, index.snapshot(session))
            except Exception:  # the first request builds it instead
                logger.exception("venue model context warm-up failed")

        threading.Thread(target=build, name=WARM_UP_THREAD, daemon=True).start()

    def context(self, session: Session, snapshot: VenueSnapshot) -> CatalogContext:
        """The context of `snapshot` (built now, or the previous one's while it builds)."""
        found = self.ready_context(snapshot)
        if found is not None:
            return found
        with self._lock:
            found = self._reuse(snapshot)
            if found is not None:
                return found
            context = self._build(session, snapshot)
            self._store(snapshot, context)
            return context

    def ready_context(self, snapshot: VenueSnapshot) -> CatalogContext | None:
        """`context(snapshot)` when it needs no build in the request (None: it does)."""
        found = self._contexts.get(snapshot)
        if found is not None:
            return found
        with self._lock:
            return self._reuse(snapshot)

    def _reuse(self, snapshot: VenueSnapshot) -> CatalogContext | None:
        """Under the lock: the context `snapshot` can serve with without building one now."""
        found = self._contexts.get(snapshot)
        if found is not None:
            return found
        previous = self._latest
        if (
            self._session_factory is not None
            and previous is not None
            # Not with LUNA_RECO_REFRESH_SECONDS=0 (every snapshot is window 0); the same
            # window again: the index loaded it twice (e.g. at start-up, concurrently).
            and 0 < previous[0] <= snapshot.window
            and previous[1] == snapshot.ids
        ):
            # A later window (or the same), same catalog: the previous context serves; it
            # is rebuilt (in a thread, the previous one serving meanwhile) once it is
            # CONTEXT_MAX_AGE old.
            if self._clock() - self._built_at < CONTEXT_MAX_AGE_SECONDS:
                self._contexts[snapshot] = previous[2]
                self._latest = (snapshot.window, snapshot.ids, previous[2])
            else:
                self._rebuild_in_background(snapshot, self._session_factory)
            return previous[2]
        return None

    def _build(self, session: Session, snapshot: VenueSnapshot) -> CatalogContext:
        started = time.perf_counter()
        context = build_snapshot_context(session, snapshot, self.now())
        logger.info(
            "venue model context built",
            extra={
                "venues": len(snapshot),
                "window": snapshot.window,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return context

    def _store(self, snapshot: VenueSnapshot, context: CatalogContext) -> None:
        self._contexts[snapshot] = context
        self._latest = (snapshot.window, snapshot.ids, context)
        self._built_at = self._clock()

    def _rebuild_in_background(
        self, snapshot: VenueSnapshot, session_factory: sessionmaker[Session]
    ) -> None:
        key = id(snapshot)
        if key in self._building:
            return
        self._building.add(key)

        def rebuild() -> None:
            try:
                with session_factory() as session:
                    context = self._build(session, snapshot)
                with self._lock:
                    self._store(snapshot, context)
            except Exception:  # the previous context keeps serving; a later request retries
                logger.exception("venue model context build failed")
            finally:
                with self._lock:
                    self._building.discard(key)

        threading.Thread(target=rebuild, name=REBUILD_THREAD, daemon=True).start()
