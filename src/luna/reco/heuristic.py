"""The contract's heuristic recommender (SPEC §3), as pure functions.

No session and no I/O here: the online service and the offline evaluation call the same code.
"""

import heapq
import math
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from luna.config import RecoSettings
from luna.geo import haversine_km


@dataclass(frozen=True, slots=True)
class Engagement:
    """What one person did at a venue (or a set of venues)."""

    positive_count: int = 0
    dwell_seconds: int = 0


NO_ENGAGEMENT = Engagement()


@dataclass(frozen=True, slots=True)
class VenueCandidate:
    venue_id: uuid.UUID
    name: str
    category: str | None
    lat: float
    lng: float
    price_level: int | None = None
    rating: float | None = None


@dataclass(frozen=True, slots=True)
class ScoredVenue:
    venue: VenueCandidate
    score: float
    distance_km: float | None
    spatial: float
    preference: float
    popularity: float


@dataclass(frozen=True, slots=True)
class Companion:
    user_id: uuid.UUID
    handle: str
    name: str
    relationship_type: str
    strength: float


@dataclass(frozen=True, slots=True)
class ScoredPerson:
    person: Companion
    score: float
    social: float
    direct: float
    category: float


def engagement_score(engagement: Engagement, per_positive: float, dwell_scale: float) -> float:
    """min(1, per_positive * positive_count + dwell_seconds / dwell_scale)."""
    return min(
        1.0, per_positive * engagement.positive_count + engagement.dwell_seconds / dwell_scale
    )


def spatial_score(distance_km: float | None, decay_per_km: float) -> float:
    return 0.0 if distance_km is None else math.exp(-decay_per_km * distance_km)


def popularity_score(positive_count: int, max_positive_count: int) -> float:
    return positive_count / max_positive_count if max_positive_count > 0 else 0.0


def score_venues(
    venues: Iterable[VenueCandidate],
    home: tuple[float, float] | None,
    own: Mapping[uuid.UUID, Engagement],
    popularity_counts: Mapping[uuid.UUID, int],
    settings: RecoSettings,
    limit: int,
    admit: Callable[[ScoredVenue], bool] | None = None,
) -> list[ScoredVenue]:
    """Score every venue for one person; best first (ties: nearer, then venue id).

    `home` is the origin of distances (a "near" point may stand in for it). `admit`, when
    given, drops venues before the top-k is taken (hard constraints), so a request for k
    returns k whenever k venues qualify.
    """
    scored = all_venue_scores(venues, home, own, popularity_counts, settings)
    if admit is not None:
        scored = [item for item in scored if admit(item)]
    return heapq.nsmallest(limit, scored, key=venue_rank_key)


def all_venue_scores(
    venues: Iterable[VenueCandidate],
    home: tuple[float, float] | None,
    own: Mapping[uuid.UUID, Engagement],
    popularity_counts: Mapping[uuid.UUID, int],
    settings: RecoSettings,
) -> list[ScoredVenue]:
    """SPEC §3 venue score of every venue for one person, unordered."""
    max_count = max(popularity_counts.values(), default=0)
    scored = []
    for venue in venues:
        distance = haversine_km(home[0], home[1], venue.lat, venue.lng) if home else None
        spatial = spatial_score(distance, settings.spatial_decay_per_km)
        preference = engagement_score(
            own.get(venue.venue_id, NO_ENGAGEMENT),
            settings.preference_per_positive,
            settings.preference_dwell_seconds,
        )
        popularity = popularity_score(popularity_counts.get(venue.venue_id, 0), max_count)
        score = (
            settings.venue_weight_spatial * spatial
            + settings.venue_weight_preference * preference
            + settings.venue_weight_popularity * popularity
        )
        scored.append(ScoredVenue(venue, score, distance, spatial, preference, popularity))
    return scored


def venue_rank_key(item: ScoredVenue) -> tuple[float, float, uuid.UUID]:
    distance = item.distance_km if item.distance_km is not None else math.inf
    return (-item.score, distance, item.venue.venue_id)


def score_people(
    companions: Iterable[Companion],
    at_venue: Mapping[uuid.UUID, Engagement],
    in_category: Mapping[uuid.UUID, Engagement],
    settings: RecoSettings,
    limit: int,
    exclude: frozenset[uuid.UUID] = frozenset(),
) -> list[ScoredPerson]:
    """Score each companion (outgoing edge) for one person; best first (ties: user id).

    `at_venue` and `in_category` are empty when no venue (or no category) is given. The
    `social` feature is the companion's `strength` (an edge's strength, or for a suggested
    person the normalised graph/co-visitation closeness of `reco.social`). People in `exclude`
    are left out before the top-k.
    """
    scored = []
    for person in companions:
        if person.user_id in exclude:
            continue
        social = person.strength
        direct = engagement_score(
            at_venue.get(person.user_id, NO_ENGAGEMENT),
            settings.direct_per_positive,
            settings.direct_dwell_seconds,
        )
        category = engagement_score(
            in_category.get(person.user_id, NO_ENGAGEMENT),
            settings.category_per_positive,
            settings.category_dwell_seconds,
        )
        score = (
            settings.people_weight_social * social
            + settings.people_weight_direct * direct
            + settings.people_weight_category * category
        )
        scored.append(ScoredPerson(person, score, social, direct, category))
    return heapq.nsmallest(limit, scored, key=lambda item: (-item.score, item.person.user_id))
