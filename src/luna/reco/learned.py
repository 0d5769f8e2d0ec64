"""`GET /reco/venues/{user_id}` with the learned ranker (LUNA_VENUE_MODEL=learned).

The ranker (`luna.learning.serving.LearnedVenueRanker`, what `luna train` writes and
`luna eval` evaluates) needs two inputs:

- the catalog context, once per venue index snapshot: `luna.reco.learned_context`;
- the person's history: their home and every interaction with its time, in ONE statement
  per request (`_PERSON`), on the request's read-only session as the heuristic's. Positive
  interactions (like, interest) are the visits the model learned from, as in
  `luna.learning.database` (no dwell: check-ins have none; local time is New York's); every
  interaction counts for `exclude_visited`, as in the heuristic.

The same hard constraints as the heuristic (`luna.reco.ranking.admitted`) leave venues out
before ranking; `exclude_visited` ("something new") uses the booster trained for venues new
to the person. `near_lat`/`near_lng` stand in for the home, as they replace the origin of the
formula.

`at` (a request's moment, aware) gives the ranking a time, and the booster trained on next
visits at their moment ranks (`luna.learning.serving.LearnedVenueRanker.score`; not with
`exclude_visited`): recency (`own_recency`, `days_since_visit`, the recency weights of the
person's usual places, categories and item-kNN) counts from it, the moment's time-of-week bin
(in Luna's local time) stands in for the person's own time-of-week profile in `time_fit`, and
the moment features are computed (`luna.learning.person_view`). Without it,
recency counts from the service's clock (`luna.clock`: LUNA_CLOCK, else the wall clock) and
`time_fit` is the person's habits against the category's, as trained: no time-of-day context.
The catalog context (venues' recent counts and trends) counts from the service's clock
whatever `at`: it is built once per snapshot, not per request. Interactions later than `at`
stay in the history, at age 0.

The response has the heuristic's shape: `score` is the model's (trees for the few
hundred candidates, every other venue below them), and `features` holds the three SPEC terms
the model saw plus every model input by name (NaN, e.g. no home, is null).
"""

import logging
import time
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, sessionmaker

import luna.clock
from luna.config import RecoSettings, Settings
from luna.errors import NotFound, validation_error
from luna.learning.features import FEATURE_NAMES, CatalogContext, PersonHistory
from luna.models import Interaction, User
from luna.models.enums import POSITIVE_INTERACTION_TYPES
from luna.reco import heuristic, ranking
from luna.reco.constraints import NO_CONSTRAINTS, VenueConstraints
from luna.reco.heuristic import VenueScores
from luna.reco.index import OwnEngagement, VenueIndex, VenueSnapshot
from luna.reco.learned_context import LearnedVenues, epoch_seconds, local_seconds
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


def load_venue_ranker(
    settings: Settings, session_factory: sessionmaker[Session] | None = None
) -> LearnedVenues | None:
    """At app creation: the learned ranker when LUNA_VENUE_MODEL=learned and its file loads;
    else None (a missing or broken file is logged as a warning: the heuristic serves)."""
    if settings.luna_venue_model != "learned":
        return None
    from luna.learning.serving import LearnedVenueRanker  # LightGBM: only when asked for

    ranker = LearnedVenueRanker.load(Path(settings.luna_venue_model_path), settings.reco)
    if ranker is None:
        return None
    frozen = settings.luna_clock
    started = time.perf_counter()
    compiled = ranker.model.compile()  # before the first request: every answer alike
    logger.info(
        "venue model loaded",
        extra={
            "path": settings.luna_venue_model_path,
            "model": "learned",
            "trees_compiled": compiled,
            "compile_seconds": round(time.perf_counter() - started, 2),
            "last_interaction_at": (
                None
                if ranker.model.last_interaction_at is None
                else ranker.model.last_interaction_at.isoformat()
            ),
            "clock": None if frozen is None else frozen.isoformat(),
        },
    )
    return LearnedVenues(ranker, session_factory, now=lambda: luna.clock.now_seconds(frozen))


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
                utc.append(epoch_seconds(occurred_at))
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
    at: datetime | None = None,
) -> list[VenueRecommendation]:
    """The heuristic route's answer, ranked by the learned model for the moment `at` (an
    aware time; None: now, without time-of-day context; module docstring)."""
    rows = session.connection().execute(_PERSON, {"user_id": user_id}).all()
    if not rows:  # before any catalog work
        raise NotFound("User not found")
    snapshot = index.snapshot(session)
    context = ranker.context(session, snapshot)
    now = epoch_seconds(at) if at is not None else ranker.now()
    moment = None if at is None else int(local_seconds(np.array([now], dtype=np.int64))[0])
    return rank(snapshot, context, rows, limit, constraints, ranker.ranker, now, moment)


def rank(
    snapshot: VenueSnapshot,
    context: CatalogContext,
    rows: Sequence[Sequence],
    limit: int,
    constraints: VenueConstraints,
    ranker: "LearnedVenueRanker",
    now: int,
    moment_local: int | None = None,
) -> list[VenueRecommendation]:
    """The CPU part of a request: the person's `_PERSON` rows ranked against the catalog,
    recency counting from `now` (UTC epoch seconds), for the moment `moment_local` (local
    wall-clock seconds; None: no time-of-day context)."""
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
    excluded = None if mask is None else ~mask
    result = ranker.score(context, history, now, excluded, mode, moment_local)
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


__all__ = ["load_venue_ranker", "recommend_venues_learned"]
