"""Group venue recommendation: aggregate each member's own SPEC §3 score (pure, no session).

Every member scores every candidate venue with the single-person formula, from their own home
(`score(m, v)`, `distance(m, v)`). A strategy turns those per-member scores into one ranking:

- ``average``: ``group_score(v) = mean_m score(m, v)``. Maximises total happiness; one member
  can be left with a poor venue if the others love it.
- ``least_misery``: ``group_score(v) = min_m score(m, v)``. Nobody is made miserable; a venue
  one member adores and the others find fine loses to one everybody finds fine.
  Ties: higher mean.
- ``fair``: greedy, rank-sensitive balancing in the spirit of GFAR (Kaya, Bridge & Tintarev,
  RecSys 2020). Each member ranks the candidates by their own score (single-person
  tie-breaking); with ``K = min(#candidates, max(10, 2 * limit))`` the probability that venue
  ``v`` is relevant to member ``m`` is the normalised Borda count of its rank::

      p(m, v) = (K - rank_m(v) + 1) / (K + 1)   if rank_m(v) <= K, else 0

  The list ``S`` is built greedily: each step picks the venue not yet in ``S`` maximising::

      gain(v | S) = sum_m p(m, v) * prod_{j in S} (1 - p(m, j))

  i.e. the increase of ``sum_m P(at least one venue of S is relevant to m)``. A member already
  well served by earlier picks counts less for the next one, so the list takes turns between
  members' favourites. ``group_score`` is the gain at the time of the pick (non-increasing
  down the list, the objective being submodular). Ties: higher mean, then shorter longest
  trip, then venue id. Once no venue has a positive gain, the rest follow in ``average`` order
  with ``group_score`` 0.

Every strategy breaks remaining ties by the shorter longest trip (unknown distances last),
then venue id.
"""

import heapq
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class GroupStrategy(StrEnum):
    average = "average"
    least_misery = "least_misery"
    fair = "fair"


@dataclass(frozen=True, slots=True)
class VenueCandidate:
    venue_id: uuid.UUID
    name: str
    category: str | None


@dataclass(frozen=True, slots=True)
class ScoredVenue:
    """One member's SPEC §3 score of a venue (`heuristic.VenueScores` at one position)."""

    venue: VenueCandidate
    score: float
    distance_km: float | None


def venue_rank_key(item: ScoredVenue) -> tuple[float, float, uuid.UUID]:
    """A member's own order: best score, then nearer (unknown distance last), then venue id,
    as `ranking.top_positions` ranks one person's venues."""
    distance = item.distance_km if item.distance_km is not None else math.inf
    return (-item.score, distance, item.venue.venue_id)


@dataclass(frozen=True, slots=True)
class GroupCandidate:
    """One venue with every member's own scored view of it (members in the group's order)."""

    venue: VenueCandidate
    members: tuple[tuple[uuid.UUID, ScoredVenue], ...]

    @property
    def mean(self) -> float:
        return sum(s.score for _, s in self.members) / len(self.members)

    @property
    def minimum(self) -> float:
        return min(s.score for _, s in self.members)

    @property
    def longest_trip_km(self) -> float | None:
        known = [s.distance_km for _, s in self.members if s.distance_km is not None]
        return max(known) if known else None


@dataclass(frozen=True, slots=True)
class GroupPick:
    candidate: GroupCandidate
    group_score: float


def candidates(
    scores: Mapping[uuid.UUID, Sequence[ScoredVenue]], member_order: Sequence[uuid.UUID]
) -> list[GroupCandidate]:
    """Zip the members' score lists (each covering the same venues) into group candidates."""
    by_venue: dict[uuid.UUID, list[tuple[uuid.UUID, ScoredVenue]]] = {}
    venues: dict[uuid.UUID, VenueCandidate] = {}
    for member in member_order:
        for item in scores[member]:
            by_venue.setdefault(item.venue.venue_id, []).append((member, item))
            venues[item.venue.venue_id] = item.venue
    return [GroupCandidate(venues[vid], tuple(rows)) for vid, rows in by_venue.items()]


def _trip(candidate: GroupCandidate) -> float:
    trip = candidate.longest_trip_km
    return math.inf if trip is None else trip


def _average_key(c: GroupCandidate) -> tuple[float, float, uuid.UUID]:
    return (-c.mean, _trip(c), c.venue.venue_id)


def _least_misery_key(c: GroupCandidate) -> tuple[float, float, float, uuid.UUID]:
    return (-c.minimum, -c.mean, _trip(c), c.venue.venue_id)


def rank_for_group(
    group: Sequence[GroupCandidate], strategy: GroupStrategy, limit: int
) -> list[GroupPick]:
    if strategy is GroupStrategy.average:
        return [GroupPick(c, c.mean) for c in heapq.nsmallest(limit, group, key=_average_key)]
    if strategy is GroupStrategy.least_misery:
        ranked = heapq.nsmallest(limit, group, key=_least_misery_key)
        return [GroupPick(c, c.minimum) for c in ranked]
    return fair_ranking(group, limit)


def relevance(group: Sequence[GroupCandidate], limit: int) -> dict[uuid.UUID, dict[int, float]]:
    """p(m, v) of the fair strategy: member -> {index of candidate in `group`: probability};
    absent means 0 (outside the member's top K)."""
    if not group:
        return {}
    k = min(len(group), max(10, 2 * limit))
    result: dict[uuid.UUID, dict[int, float]] = {}
    for position, (member, _) in enumerate(group[0].members):
        top = heapq.nsmallest(
            k, range(len(group)), key=lambda i: venue_rank_key(group[i].members[position][1])
        )
        result[member] = {i: (k - rank) / (k + 1) for rank, i in enumerate(top)}
    return result


def fair_ranking(group: Sequence[GroupCandidate], limit: int) -> list[GroupPick]:
    """Greedy GFAR-style selection (see the module docstring), with lazy gain updates."""
    p = relevance(group, limit)
    unserved = dict.fromkeys(p, 1.0)  # prod over picks of (1 - p(m, j))

    def gain(i: int) -> float:
        return sum(p[m].get(i, 0.0) * unserved[m] for m in p)

    def key(i: int, g: float) -> tuple[float, float, float, uuid.UUID]:
        c = group[i]
        return (-g, -c.mean, _trip(c), c.venue.venue_id)

    relevant = {i for probabilities in p.values() for i in probabilities}
    heap = [(key(i, gain(i)), i) for i in relevant]
    heapq.heapify(heap)
    picks: list[GroupPick] = []
    while heap and len(picks) < limit:
        _, i = heapq.heappop(heap)
        fresh = key(i, gain(i))
        if heap and fresh > heap[0][0]:
            heapq.heappush(heap, (fresh, i))  # its gain went down: look again later
            continue
        g = -fresh[0]
        if g <= 0:
            heapq.heappush(heap, (fresh, i))
            break
        picks.append(GroupPick(group[i], g))
        for m in p:
            unserved[m] *= 1.0 - p[m].get(i, 0.0)
    if len(picks) < limit:
        chosen = {pick.candidate.venue.venue_id for pick in picks}
        rest = [c for c in group if c.venue.venue_id not in chosen]
        for c in heapq.nsmallest(limit - len(picks), rest, key=_average_key):
            picks.append(GroupPick(c, 0.0))
    return picks
