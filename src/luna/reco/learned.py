"""`GET /reco/venues/{user_id}` with the learned ranker (LUNA_VENUE_MODEL=learned).

The ranker (`luna.learning.serving.LearnedVenueRanker`, what `luna train` writes and
`luna eval` evaluates) needs two inputs:

- the catalog context (popularity, distinct visitors, recent trend, item-to-item neighbours,
  when each category is visited): built from every positive interaction, once per venue
  index snapshot (`VenueSnapshot`, reloaded once per LUNA_RECO_REFRESH_SECONDS window) and
  cached here by snapshot. When the catalog of a new snapshot is the previous one's (the usual
  case), requests keep the previous context while the new one builds in a background thread,
  so no request waits for it; a changed catalog (a venue added or removed) is built in the
  request that first sees it.
- the person's history: their home and every interaction with its time, in ONE statement
  per request (`_PERSON`), on the request's read-only session as the heuristic's. Positive
  interactions (like, interest) are the visits the model learned from, as in
  `luna.learning.database` (no dwell: check-ins have none; local time is New York's); every
  interaction counts for `exclude_visited`, as in the heuristic.

The same hard constraints as the heuristic (`luna.reco.ranking.admitted`) leave venues out
before ranking; `exclude_visited` ("something new") uses the booster trained for venues new
to the person. `near_lat`/`near_lng` stand in for the home, as they replace the origin of the
formula. The response has the heuristic's shape: `score` is the model's (trees for the few
hundred candidates, every other venue below them), and `features` holds the three SPEC terms
the model saw plus every model input by name (NaN, e.g. no home, is null).
"""

import functools
import logging
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from luna.config import RecoSettings, Settings
from luna.errors import NotFound, validation_error
from luna.learning.database import LOCAL_TIME_ZONE
from luna.learning.features import (
    FEATURE_NAMES,
    CatalogContext,
    PersonHistory,
    VenueTable,
    build_context,
)
from luna.models import Interaction, User
from luna.models.enums import POSITIVE_INTERACTION_TYPES
from luna.reco import heuristic, ranking
from luna.reco.constraints import NO_CONSTRAINTS, VenueConstraints
from luna.reco.heuristic import VenueScores
from luna.reco.index import OwnEngagement, VenueIndex, VenueSnapshot
from luna.reco.schemas import VenueFeatures, VenueRecommendation
from luna.reco.service import venue_result

if TYPE_CHECKING:
    from luna.learning.serving import LearnedVenueRanker

logger = logging.getLogger(__name__)

POSITIVE = frozenset(str(t) for t in POSITIVE_INTERACTION_TYPES)

# The person: home, and each interaction (venue, type, dwell, time). One row with NULL
# interaction columns when they have none; no row when there is no such user.
_PERSON = (
    select(
        User.home_lat,
        User.home_lng,
        Interaction.venue_id,
        Interaction.interaction_type,
        Interaction.dwell_time_seconds,
        Interaction.occurred_at,
    )
    .select_from(User)
    .outerjoin(Interaction, Interaction.user_id == User.id)
    .where(User.id == bindparam("user_id"))
)
# How stale the catalog context may get while the catalog stays the same: building it reads
# every positive interaction (about 12 s at 4 million), so not every index window rebuilds it.
# Popularity, trends and neighbours move slowly; the person's own history is always fresh.
CONTEXT_MAX_AGE_SECONDS = 600.0
# The context's background builds (tests wait for them before emptying the tables).
WARM_UP_THREAD, REBUILD_THREAD = "venue-model-warm-up", "venue-model-context"
# Up to this many times, local_seconds looks each one's offset up (no np.unique).
FEW_TIMES = 256
_EVERYONE = select(Interaction.user_id, Interaction.venue_id, Interaction.occurred_at).where(
    Interaction.interaction_type.in_(POSITIVE_INTERACTION_TYPES)
)


def load_venue_ranker(
    settings: Settings, session_factory: sessionmaker[Session] | None = None
) -> "LearnedVenues | None":
    """At app creation: the learned ranker when LUNA_VENUE_MODEL=learned and its file loads;
    else None (a missing or broken file is logged as a warning: the heuristic serves)."""
    if settings.luna_venue_model != "learned":
        return None
    from luna.learning.serving import LearnedVenueRanker  # LightGBM: only when asked for

    ranker = LearnedVenueRanker.load(Path(settings.luna_venue_model_path), settings.reco)
    if ranker is None:
        return None
    started = time.perf_counter()
    compiled = ranker.model.compile()  # before the first request: every answer alike
    logger.info(
        "venue model loaded",
        extra={
            "path": settings.luna_venue_model_path,
            "model": "learned",
            "trees_compiled": compiled,
            "compile_seconds": round(time.perf_counter() - started, 2),
        },
    )
    return LearnedVenues(ranker, session_factory)


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


def _epoch(when: datetime) -> int:
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
        utc.append(_epoch(occurred_at))
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
    ) -> None:
        """`session_factory` lets a new window's context build in the background (without
        it, the first request of each window builds it)."""
        self.ranker = ranker
        self._session_factory = session_factory
        self._clock = clock
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
        """Build the first window's context in the background at start-up (about 12 s at
        S3), so that the first learned request does not wait for it. Nothing to warm when
        the index reloads on every request (each request builds its own context then)."""
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
        context = build_snapshot_context(session, snapshot, int(self._clock()))
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


def person(
    rows: Sequence[Sequence], snapshot: VenueSnapshot
) -> tuple[tuple[float, float] | None, PersonHistory, OwnEngagement]:
    """The person's home, their visit history at snapshot positions, and their engagement
    per venue (for `exclude_visited` and the reasons), from the rows of `_PERSON`."""
    if not rows:
        raise NotFound("User not found")
    lat, lng = rows[0][0], rows[0][1]
    home = (lat, lng) if lat is not None and lng is not None else None
    position = snapshot.position
    # Per venue: [positive count, dwell seconds, snapshot position or None], first seen first.
    engagement: dict[uuid.UUID, list] = {}
    venues, utc = [], []
    for _, _, venue_id, kind, dwell, occurred_at in rows:
        if venue_id is None:
            continue
        totals = engagement.get(venue_id)
        if totals is None:
            totals = engagement[venue_id] = [0, 0, position.get(venue_id)]
        totals[1] += dwell or 0
        if str(kind) in POSITIVE:
            totals[0] += 1
            if totals[2] is not None:
                venues.append(totals[2])
                utc.append(_epoch(occurred_at))
    utc_array = np.array(utc, dtype=np.int64)
    history = PersonHistory.of_visits(
        np.array(venues, dtype=np.int64), utc_array, local_seconds(utc_array), home
    )
    own = OwnEngagement.build(snapshot, [(v, n, d) for v, (n, d, _) in engagement.items()])
    return home, history, own


def recommend_venues_learned(
    session: Session,
    index: VenueIndex,
    user_id: uuid.UUID,
    limit: int,
    settings: RecoSettings,
    constraints: VenueConstraints,
    ranker: LearnedVenues,
) -> list[VenueRecommendation]:
    """The heuristic route's answer, ranked by the learned model (module docstring)."""
    rows = session.connection().execute(_PERSON, {"user_id": user_id}).all()
    if not rows:  # before any catalog work
        raise NotFound("User not found")
    snapshot = index.snapshot(session)
    context = ranker.context(session, snapshot)
    return rank(snapshot, context, rows, limit, constraints, ranker.ranker)


def rank(
    snapshot: VenueSnapshot,
    context: CatalogContext,
    rows: Sequence[Sequence],
    limit: int,
    constraints: VenueConstraints,
    ranker: "LearnedVenueRanker",
) -> list[VenueRecommendation]:
    """The CPU part of a request: the person's `_PERSON` rows ranked against the catalog."""
    home, history, own = person(rows, snapshot)
    origin = constraints.origin(home)
    if constraints.max_distance_km is not None and origin is None:
        raise validation_error(  # the heuristic's error (luna.reco.service._origin)
            ("query", "max_distance_km"),
            "max_distance_km needs an origin: the user has no home, give near_lat and near_lng",
        )
    if constraints.near is not None:  # the origin stands in for the home
        history = PersonHistory(
            history.venue, history.utc, history.local, history.positive, history.dwell, origin
        )
    # Distances to every venue only for a distance constraint (the model computes its own
    # for the venues it looks at; admitted() reads only the distances of its VenueScores).
    n = len(snapshot)
    distance = None
    if constraints.max_distance_km is not None and origin is not None:
        distance = snapshot.distances_km(origin)
    zeros = np.zeros(n)
    mask = ranking.admitted(
        snapshot, VenueScores(zeros, distance, zeros, zeros, zeros), constraints, own
    )
    mode = "new" if constraints.exclude_visited else "all"
    result = ranker.score(context, history, int(time.time()), None if mask is None else ~mask, mode)
    best = result.top(limit)
    if origin is not None and distance is None:
        distance_at = snapshot.distances_km(origin, best)
    else:
        distance_at = None if distance is None else distance[best]
    return _results(
        snapshot,
        best,
        result.scores_at(best),
        result.features_at(best),
        distance_at,
        own,
        constraints,
    )


SPEC_COLUMNS = tuple(FEATURE_NAMES.index(f"spec_{t}") for t in ("spatial", "preference"))
POPULARITY_COLUMN = FEATURE_NAMES.index("spec_popularity")


def model_features(values: list[float], names: Sequence[str] = FEATURE_NAMES) -> VenueFeatures:
    """The `features` of a result from its feature row (as floats; NaN is null). Constructed
    without validation: every value is a float or None already."""
    extra = {n: (None if v != v else v) for n, v in zip(names, values, strict=True)}
    spatial, preference = (values[i] for i in SPEC_COLUMNS)
    return VenueFeatures.model_construct(
        spatial=spatial, preference=preference, popularity=values[POPULARITY_COLUMN], **extra
    )


def _results(
    snapshot: VenueSnapshot,
    best: np.ndarray,
    scores: np.ndarray,
    features: np.ndarray,
    distance: np.ndarray | None,
    own: OwnEngagement,
    constraints: VenueConstraints = NO_CONSTRAINTS,
) -> list[VenueRecommendation]:
    """The venues at positions `best` (in that order) with their scores, features and
    distances (row for row)."""
    kms = [None] * len(best) if distance is None else distance.tolist()
    rows = features.astype(np.float64).tolist()
    results = []
    for i, score, km, row in zip(best.tolist(), scores.tolist(), kms, rows, strict=True):
        venue_id = snapshot.ids[i]
        results.append(
            venue_result(
                venue_id,
                snapshot.names[i],
                snapshot.categories[i],
                score,
                km,
                model_features(row),
                constraints.origin_label,
                own.by_venue.get(venue_id, heuristic.NO_ENGAGEMENT),
                int(snapshot.popularity_bucket[i]) or None,
            )
        )
    return results


__all__ = [
    "LearnedVenues",
    "load_venue_ranker",
    "recommend_venues_learned",
]
