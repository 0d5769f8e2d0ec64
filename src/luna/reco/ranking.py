"""Ranking a venue snapshot for one person (or a group): SPEC §3 scores at the snapshot's
positions, the hard constraints as a mask, and the top-k, pruned.

The formula is `luna.reco.heuristic.score_venues`; this module feeds it the snapshot's arrays
and the person's engagement, and orders what it returns. Pure: no session, no I/O.
"""

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from luna.config import RecoSettings
from luna.geo import bounding_box
from luna.reco import heuristic
from luna.reco.constraints import VenueConstraints
from luna.reco.heuristic import VenueScores
from luna.reco.index import OwnEngagement, VenueSnapshot


@dataclass(frozen=True)
class VibeAsk:
    """The vibes asked for (`vibe=`): their columns in the snapshot's vibe matrix
    (luna.vibes.vocabulary.VIBE_NAMES order) and how much the fit weighs."""

    names: tuple[str, ...]
    columns: tuple[int, ...]
    weight: float  # RecoSettings.vibe_weight


def blend_vibe(score: np.ndarray, fit: np.ndarray, weight: float) -> np.ndarray:
    """The one formula for a mood: score * ((1 - w) + w * fit), where fit is the mean of the
    venue's scores for the asked vibes (in [0, 1]) and w is LUNA_RECO_VIBE_WEIGHT. The mood
    scales the usual score: a venue that does not fit at all keeps 1 - w of it, one that
    fits fully all of it; among equally fitting venues the usual order stands. Increasing
    in both score and fit (for score >= 0), which the pruning bound relies on."""
    return score * ((1.0 - weight) + weight * fit)


def snapshot_scores(
    snapshot: VenueSnapshot,
    origin: tuple[float, float] | None,
    own: OwnEngagement,
    settings: RecoSettings,
    at: np.ndarray | None = None,
    vibe: VibeAsk | None = None,
) -> VenueScores:
    """SPEC §3 scores of every venue of the snapshot, or of the venues at the sorted
    positions `at` (which must hold every venue the person engaged with); blended with the
    fit to the asked vibes when there are some."""
    if at is None:
        popularity, engaged = snapshot.popularity, own.positions
    else:
        popularity, engaged = snapshot.popularity[at], np.searchsorted(at, own.positions)
    distance = None if origin is None else snapshot.distances_km(origin, at)
    scores = heuristic.score_venues(
        distance, popularity, engaged, own.positive, own.dwell, settings
    )
    if vibe is None:
        return scores
    fit = snapshot.vibes.fit(vibe.columns, at)
    return dataclasses.replace(scores, score=blend_vibe(scores.score, fit, vibe.weight), vibe=fit)


def admitted(
    snapshot: VenueSnapshot,
    scores: VenueScores,
    constraints: VenueConstraints,
    own: OwnEngagement,
    at: np.ndarray | None = None,
) -> np.ndarray | None:
    """Boolean mask of the venues (all, or those at `at`) meeting every hard constraint (None:
    no constraint). An unknown price, rating or distance fails its constraint; "visited"
    means any interaction."""
    c = constraints
    n = len(scores.score)
    mask: np.ndarray | None = None

    def narrow(condition: np.ndarray) -> None:
        nonlocal mask
        mask = condition if mask is None else mask & condition

    def column(values: np.ndarray) -> np.ndarray:
        return values if at is None else values[at]

    if c.max_distance_km is not None:
        if scores.distance is None:
            narrow(np.zeros(n, dtype=bool))
        else:
            narrow(scores.distance <= c.max_distance_km)
    if c.max_price_level is not None:
        narrow(column(snapshot.price_level) <= c.max_price_level)
    if c.min_rating is not None:
        narrow(column(snapshot.rating) >= c.min_rating)
    if c.categories is not None:
        codes = [snapshot.category_codes[k] for k in c.categories if k in snapshot.category_codes]
        narrow(np.isin(column(snapshot.category_code), np.array(codes, dtype=np.int32)))
    if c.exclude_visited and len(own.positions):
        unvisited = np.ones(n, dtype=bool)
        unvisited[own.positions if at is None else np.searchsorted(at, own.positions)] = False
        narrow(unvisited)
    return mask


# Pruning (see best_positions): the venues scored first are those within this radius of the
# origin, the most popular ones and the person's own; below PRUNE_FROM venues, all are scored.
NEAR_KM = 3.0
MOST_POPULAR = 64
PRUNE_FROM = 2000
# Floating-point slack of the pruning bound (scores are sums of three terms of at most 1).
BOUND_SLACK = 1e-9


def best_positions(
    snapshot: VenueSnapshot,
    origin: tuple[float, float] | None,
    own: OwnEngagement,
    settings: RecoSettings,
    constraints: VenueConstraints,
    limit: int,
    vibe: VibeAsk | None = None,
) -> tuple[np.ndarray, VenueScores]:
    """The positions of the best `limit` venues (ranked as `top_positions`) and the scores
    at those positions (aligned with them).

    Most of a city cannot make a person's top ten: a venue the person never engaged with
    scores at most w_spatial · exp(-decay · distance) + w_popularity · popularity. So the
    venues near the origin, the most popular ones and the person's own are scored first; if
    the limit-th best of them beats that bound for every venue left out (farther than
    NEAR_KM and less popular than the MOST_POPULAR-th), they are the answer. Otherwise (a
    remote origin, tight constraints, unusual weights) every venue is scored. Either way
    the answer is the exhaustive one. With vibes asked for, the venues fitting each best
    are scored first too, and the bound blends in the best fit left out."""
    subset = _near_popular_and_own(snapshot, origin, own, settings, vibe)
    if subset is not None:
        scores = snapshot_scores(snapshot, origin, own, settings, at=subset, vibe=vibe)
        mask = admitted(snapshot, scores, constraints, own, at=subset)
        top = top_positions(scores, mask, limit)
        bound = _bound_outside(snapshot, origin, settings, vibe)
        if len(top) == limit and scores.score[top[-1]] > bound:
            return subset[top], scores.take(top)
    scores = snapshot_scores(snapshot, origin, own, settings, vibe=vibe)
    top = top_positions(scores, admitted(snapshot, scores, constraints, own), limit)
    return top, scores.take(top)


def _near_popular_and_own(
    snapshot: VenueSnapshot,
    origin: tuple[float, float] | None,
    own: OwnEngagement,
    settings: RecoSettings,
    vibe: VibeAsk | None = None,
) -> np.ndarray | None:
    """Sorted positions to score first, or None when pruning cannot pay or cannot be proven
    (a small catalog, or negative weights)."""
    weights = (
        settings.venue_weight_spatial,
        settings.venue_weight_preference,
        settings.venue_weight_popularity,
    )
    if len(snapshot) < PRUNE_FROM or min(weights) < 0:
        return None
    parts = [own.positions, snapshot.by_popularity[:MOST_POPULAR]]
    if vibe is not None:
        parts += [snapshot.vibes.leading_positions(c) for c in vibe.columns]
    if origin is not None:
        # A box holding the circle of NEAR_KM (a little more, for rounding): every venue
        # outside it is farther than NEAR_KM.
        min_lat, max_lat, min_lng, max_lng = bounding_box(origin[0], origin[1], NEAR_KM * 1.01)
        lo = np.searchsorted(snapshot.latitudes, min_lat, side="left")
        hi = np.searchsorted(snapshot.latitudes, max_lat, side="right")
        band = snapshot.by_latitude[lo:hi]
        lng = snapshot.lng[band]
        parts.append(band[(lng >= min_lng) & (lng <= max_lng)])
    return _sorted_unique(np.concatenate(parts))


def _sorted_unique(positions: np.ndarray) -> np.ndarray:
    """np.unique for the few hundred positions of one request: a tenth of its cost here
    (numpy's hash-based unique has a high fixed cost)."""
    positions = np.sort(positions)
    if len(positions) < 2:
        return positions
    return positions[np.concatenate(([True], positions[1:] != positions[:-1]))]


def _bound_outside(
    snapshot: VenueSnapshot,
    origin: tuple[float, float] | None,
    settings: RecoSettings,
    vibe: VibeAsk | None = None,
) -> float:
    """The best score any venue outside `_near_popular_and_own` could have."""
    spatial = 0.0 if origin is None else math.exp(-settings.spatial_decay_per_km * NEAR_KM)
    rest = snapshot.by_popularity[MOST_POPULAR : MOST_POPULAR + 1]
    popularity = float(snapshot.popularity[rest[0]]) if len(rest) else 0.0
    bound = settings.venue_weight_spatial * spatial + settings.venue_weight_popularity * popularity
    if vibe is not None:
        fit = snapshot.vibes.best_fit_outside_leading(vibe.columns)
        bound = float(blend_vibe(np.array(bound), np.array(fit), vibe.weight))
    return bound + BOUND_SLACK


def top_positions(scores: VenueScores, mask: np.ndarray | None, limit: int) -> np.ndarray:
    """Positions of the best `limit` venues: highest score, then nearer (unknown distance
    last), then lower venue id (position order), as `group.venue_rank_key`."""
    candidates = np.flatnonzero(mask) if mask is not None else np.arange(len(scores.score))
    score = scores.score[candidates]
    if len(candidates) > limit:
        # Keep everything scoring at least the limit-th best score (ties included), then sort.
        keep = score >= _limit_th_best_at_most(score, limit)
        candidates, score = candidates[keep], score[keep]
        if len(candidates) > 4 * limit:
            keep = score >= np.partition(score, len(score) - limit)[len(score) - limit]
            candidates, score = candidates[keep], score[keep]
    distance = (
        np.full(len(candidates), np.inf) if scores.distance is None else scores.distance[candidates]
    )
    order = np.lexsort((candidates, distance, -score))
    return candidates[order[:limit]]


def group_positions(member_scores: list[VenueScores], limit: int) -> np.ndarray:
    """Sorted positions holding the answer of every group strategy (reco/group.py) for a
    group whose members' scores are `member_scores`: each member's top max(10, 2·limit) (the
    fair strategy's relevance, and each favourite) and the best 2·limit + 10 by the average
    and the least-misery keys (the fair strategy's fill, with room for its picks). Ranking
    the group among these gives the same answer as among every venue."""
    k = max(10, 2 * limit)
    parts = [top_positions(scores, None, k) for scores in member_scores]
    total = np.zeros(len(member_scores[0].score))
    for scores in member_scores:  # in member order, as group.GroupCandidate.mean sums
        total = total + scores.score
    mean = total / len(member_scores)
    minimum = np.minimum.reduce([scores.score for scores in member_scores])
    known = [scores.distance for scores in member_scores if scores.distance is not None]
    trip = np.fmax.reduce(known) if known else np.full(len(mean), np.inf)
    positions = np.arange(len(mean))
    room = 2 * limit + 10
    parts.append(np.lexsort((positions, trip, -mean))[:room])
    parts.append(np.lexsort((positions, trip, -mean, -minimum))[:room])
    return _sorted_unique(np.concatenate(parts))


def _limit_th_best_at_most(score: np.ndarray, limit: int) -> float:
    """A value no greater than the limit-th best score, found cheaply: the limit-th best of
    an even sample (at least `limit` scores of the whole reach it), which on a large array
    already leaves only a few times `limit` scores above it."""
    stride = max(1, len(score) // (32 * limit))
    sample = score[::stride]
    return float(np.partition(sample, len(sample) - limit)[len(sample) - limit])
