"""Hard constraints on venue recommendations (pure: no session).

A constraint removes venues *before* the top-k is taken, so asking for 10 returns 10 whenever
10 venues qualify (`luna.reco.ranking.admitted` applies them to the snapshot's arrays).
"""

from dataclasses import dataclass


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


NO_CONSTRAINTS = VenueConstraints()
