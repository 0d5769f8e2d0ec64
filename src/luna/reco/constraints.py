"""Hard constraints on venue recommendations (pure: no session).

A constraint removes venues *before* the top-k is taken, so asking for 10 returns 10 whenever
10 venues qualify. SQL applies the cheap ones first (categories, price, rating, and a lat/lng
box around the origin, see `venues.repository.candidate_rows`); `admits` is the exact rule and
is applied to every scored venue afterwards.
"""

import uuid
from collections.abc import Callable, Set
from dataclasses import dataclass

from luna.geo import bounding_box
from luna.reco.heuristic import ScoredVenue


@dataclass(frozen=True)
class VenueConstraints:
    max_distance_km: float | None = None
    max_price_level: int | None = None
    categories: frozenset[str] | None = None
    min_rating: float | None = None
    exclude_visited: bool = False
    near: tuple[float, float] | None = None  # replaces the home as the origin of distances

    def origin(self, home: tuple[float, float] | None) -> tuple[float, float] | None:
        return self.near if self.near is not None else home

    @property
    def origin_label(self) -> str:
        """What distances are from, for reasons: "near" (a given point) or "home"."""
        return "near" if self.near is not None else "home"

    def box(self, origin: tuple[float, float] | None) -> tuple[float, float, float, float] | None:
        if self.max_distance_km is None or origin is None:
            return None
        return bounding_box(origin[0], origin[1], self.max_distance_km)


NO_CONSTRAINTS = VenueConstraints()


def admits(constraints: VenueConstraints, item: ScoredVenue, visited: Set[uuid.UUID]) -> bool:
    """Whether a scored venue satisfies every constraint. A venue without a price or a
    rating never satisfies a price or rating constraint; "visited" means any interaction."""
    venue = item.venue
    c = constraints
    if c.max_distance_km is not None and (
        item.distance_km is None or item.distance_km > c.max_distance_km
    ):
        return False
    if c.max_price_level is not None and (
        venue.price_level is None or venue.price_level > c.max_price_level
    ):
        return False
    if c.min_rating is not None and (venue.rating is None or venue.rating < c.min_rating):
        return False
    if c.categories is not None and venue.category not in c.categories:
        return False
    return not (c.exclude_visited and venue.venue_id in visited)


def admission(
    constraints: VenueConstraints, visited: Set[uuid.UUID]
) -> Callable[[ScoredVenue], bool] | None:
    """The `admit` predicate for `heuristic.score_venues` (None when nothing is constrained)."""
    if constraints == NO_CONSTRAINTS or constraints == VenueConstraints(near=constraints.near):
        return None
    return lambda item: admits(constraints, item, visited)
