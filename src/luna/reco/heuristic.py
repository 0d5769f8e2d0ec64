"""The contract's heuristic recommender (SPEC §3), as pure functions: the one place it is
written.

The venue score is in vector form (any set of venues at once: every venue of the index, the
few hundred a request prunes to, or the learned ranker's candidates); the people score goes
companion by companion (a person has a few dozen). No session and no I/O here: the online
service, the learned ranker's features and the offline evaluation call the same code.
"""

import heapq
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from luna.config import RecoSettings


@dataclass(frozen=True, slots=True)
class Engagement:
    """What one person did at a venue (or a set of venues)."""

    positive_count: int = 0
    dwell_seconds: int = 0


NO_ENGAGEMENT = Engagement()


@dataclass(frozen=True)
class VenueScores:
    """SPEC §3 score and features of some venues for one person (arrays, aligned)."""

    score: np.ndarray
    distance: np.ndarray | None  # km; None when there is no origin
    spatial: np.ndarray
    preference: np.ndarray
    popularity: np.ndarray
    vibe: np.ndarray | None = None  # fit to the asked vibes (luna.reco.ranking.VibeAsk)

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
            None if self.vibe is None else self.vibe[at],
        )


def popularity(positive_counts: np.ndarray) -> np.ndarray:
    """The popularity feature of every venue of a catalog: its positive count over the
    catalog's largest (0 everywhere when nothing is liked)."""
    top = positive_counts.max(initial=0)
    if top <= 0:
        return np.zeros(len(positive_counts), dtype=np.float64)
    return positive_counts / float(top)


def score_venues(
    distance_km: np.ndarray | None,
    popularity: np.ndarray,
    engaged: np.ndarray,
    positive_count: np.ndarray,
    dwell_seconds: np.ndarray,
    settings: RecoSettings,
) -> VenueScores:
    """SPEC §3 venue score of some venues for one person.

    `distance_km` is from the origin (home, or a "near" point standing in for it) to each
    venue, None without one; `popularity` is each venue's `popularity` in its catalog.
    `engaged` indexes the venues the person interacted with, `positive_count` and
    `dwell_seconds` (aligned with it) say how: every other venue's preference is 0, so a
    request spends nothing on them.
    """
    n = len(popularity)
    if distance_km is None:
        spatial = np.zeros(n, dtype=np.float64)
    else:
        spatial = np.exp(-settings.spatial_decay_per_km * distance_km)
    preference = np.zeros(n, dtype=np.float64)
    if len(engaged):
        preference[engaged] = np.minimum(
            1.0,
            settings.preference_per_positive * positive_count
            + dwell_seconds / settings.preference_dwell_seconds,
        )
    score = (
        settings.venue_weight_spatial * spatial
        + settings.venue_weight_preference * preference
        + settings.venue_weight_popularity * popularity
    )
    return VenueScores(score, distance_km, spatial, preference, popularity)


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
