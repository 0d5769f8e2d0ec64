"""People beyond direct edges: friends of friends and co-visitors (pure, no session).

Graph: undirected. ``N(x)`` is everyone with an edge to *or* from ``x``. An edge records that
two people know each other whichever way it points, and using both directions lets a person
whose friends list you (but whom you never listed back) still count as a common friend.

Candidates for user ``u`` are people ``c != u`` without an outgoing edge ``u -> c``.

Adamic-Adar (Adamic & Adar, 2003)::

    AA(u, c) = sum_{z in N(u) ∩ N(c)} 1 / ln |N(z)|

Every common neighbour ``z`` has ``|N(z)| >= 2`` (it knows ``u`` and ``c``), so each term is
finite and at most ``1 / ln 2``. Normalised by the most ``u``'s own circle can give::

    aa_norm(u, c) = AA(u, c) / sum_{z in N(u), |N(z)| >= 2} 1 / ln |N(z)|      (0 if empty)

which lies in [0, 1] and is 1 only for someone connected to all of ``u``'s (connected) friends.

Co-visitation: ``V(x)`` is the set of venues ``x`` interacted with (any type)::

    covisit_norm(u, c) = |V(u) ∩ V(c)| / |V(u)|          (0 when u visited nothing)

The suggested person's ``social`` feature is ``max(aa_norm, covisit_norm)``: close either by
friends or by habits. The rest of the SPEC §3 people score (direct, category, weights) applies
unchanged, and suggested people are ranked with everyone else by that score.
"""

import math
import uuid
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Suggestion:
    user_id: uuid.UUID
    adamic_adar: float
    adamic_adar_norm: float
    common_friends: int
    shared_venues: int
    covisit_norm: float

    @property
    def social(self) -> float:
        return max(self.adamic_adar_norm, self.covisit_norm)


def neighbourhoods(edges: Iterable[tuple[uuid.UUID, uuid.UUID]]) -> dict[uuid.UUID, set[uuid.UUID]]:
    adjacency: dict[uuid.UUID, set[uuid.UUID]] = {}
    for a, b in edges:
        adjacency.setdefault(a, set()).add(b)
        adjacency.setdefault(b, set()).add(a)
    return adjacency


def suggestions(
    user_id: uuid.UUID,
    edges: Iterable[tuple[uuid.UUID, uuid.UUID]],
    outgoing: Set[uuid.UUID],
    shared_venue_counts: Mapping[uuid.UUID, int],
) -> dict[uuid.UUID, Suggestion]:
    """Everyone reachable in two hops or sharing a venue with `user_id`, not yet followed.

    `edges` must hold every edge touching a neighbour of `user_id` (the social repository's
    `two_hop_edges`); `shared_venue_counts` maps people to the number of venues they share with
    `user_id`, `user_id` itself mapping to its own number of venues.
    """
    adjacency = neighbourhoods(edges)
    aa: dict[uuid.UUID, float] = {}
    common: dict[uuid.UUID, int] = {}
    circle = 0.0
    for z in adjacency.get(user_id, set()):
        degree = len(adjacency[z])
        if degree < 2:
            continue
        weight = 1.0 / math.log(degree)
        circle += weight
        for c in adjacency[z]:
            if c == user_id or c in outgoing:
                continue
            aa[c] = aa.get(c, 0.0) + weight
            common[c] = common.get(c, 0) + 1
    own_venues = shared_venue_counts.get(user_id, 0)
    shared = {
        c: n for c, n in shared_venue_counts.items() if c != user_id and c not in outgoing and n > 0
    }
    result = {}
    for c in aa.keys() | shared.keys():
        raw = aa.get(c, 0.0)
        result[c] = Suggestion(
            user_id=c,
            adamic_adar=raw,
            adamic_adar_norm=min(1.0, raw / circle) if circle > 0 else 0.0,
            common_friends=common.get(c, 0),
            shared_venues=shared.get(c, 0),
            covisit_norm=shared.get(c, 0) / own_venues if own_venues > 0 else 0.0,
        )
    return result
