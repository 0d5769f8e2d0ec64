"""Stage 1 of the learned ranker: the few hundred venues the trees re-rank.

Each signal keeps its best venues (CANDIDATE_SIZES): own recent visits, item-kNN, local
popularity, the SPEC score, category affinity near the person's places. The rule, over the
feature matrix of every venue, is `candidate_positions`: per signal, the `size` largest
positive values among the venues not excluded, ties to the lower position.

Serving does not compute that matrix. `person_candidates` gives the same positions from
cheap signals: own visits and item-kNN are sparse (only the person's venues and their
neighbours can score); the SPEC score is exact on a shortlist (the person's venues, the most
popular ones, those near home) and the venues left out provably score lower; the area
density is bounded for every venue at once from the grid cells (`VenueGrid`) and computed
exactly only for the venues whose upper bound reaches the others' lower bounds. When a
bound does not settle it, that signal is computed exactly for every venue.
"""

import numpy as np

from luna.learning.features import COLUMN, PersonView, near_home

# Candidates kept per signal.
CANDIDATE_SIZES = {
    "own_recency": 100,
    "knn_score": 150,
    "local_popularity": 150,
    "spec_score": 50,
    "category_near": 50,
}
# Fewer venues than this left after the exclusions: every feature of every one is computed.
EXACT_BELOW = 2048
# SPEC score: the shortlist's venues near home (tried in turn) and most popular ones.
HOME_RADII_KM = (1.5, 3.0, 6.0)
POPULAR_SHORTLIST = 100
# Relative margin of the bounds (float32 rounding of the features, summation order).
SLACK = 1e-5


def union(n: int, parts: list[np.ndarray]) -> np.ndarray:
    """The sorted distinct positions of `parts` (faster than np.unique for a few thousand
    positions among tens of thousands)."""
    seen = np.zeros(n, dtype=bool)
    for part in parts:
        seen[part] = True
    return np.flatnonzero(seen)


def largest(values: np.ndarray, positions: np.ndarray, size: int) -> np.ndarray:
    """The positions of the `size` largest positive values (NaN is not positive), ties to
    the lower position."""
    return largest_and_kth(values, positions, size)[0]


def largest_and_kth(
    values: np.ndarray, positions: np.ndarray, size: int
) -> tuple[np.ndarray, float]:
    """`largest`, and the smallest value kept (0.0 when none is)."""
    keep = values > 0
    values, positions = values[keep], positions[keep]
    if len(values) <= size:
        return positions, float(values.min(initial=np.inf)) if len(values) else 0.0
    kth = np.partition(values, len(values) - size)[len(values) - size]
    above = values > kth
    tied = np.sort(positions[values == kth])[: size - int(above.sum())]
    return np.concatenate([positions[above], tied]), float(kth)


def signals(features: np.ndarray) -> dict[str, np.ndarray]:
    """Each stage-1 signal (float64 of the float32 features) from feature rows."""
    column = lambda name: features[:, COLUMN[name]].astype(np.float64)  # noqa: E731
    return {
        "own_recency": column("own_recency"),
        "knn_score": column("knn_score"),
        "local_popularity": column("local_popularity"),
        "spec_score": column("spec_score"),
        "category_near": (
            features[:, COLUMN["category_affinity"]] * features[:, COLUMN["area_density"]]
        ).astype(np.float64),
    }


def select(features: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The rule, on the feature rows of the venues at `positions` (sorted, unique out)."""
    chosen = [
        largest(values, positions, CANDIDATE_SIZES[name])
        for name, values in signals(features).items()
    ]
    return np.unique(np.concatenate(chosen)) if chosen else np.zeros(0, np.int64)


def candidate_positions(features: np.ndarray, exclude: np.ndarray | None = None) -> np.ndarray:
    """The reference: the candidates from the feature matrix of EVERY venue (`exclude`:
    positions left out)."""
    positions = np.arange(len(features))
    if exclude is not None and len(exclude):
        positions = np.delete(positions, exclude)
    return select(features[positions], positions)


def person_candidates(view: PersonView, excluded: np.ndarray | None = None) -> np.ndarray:
    """`candidate_positions` of the person's full feature matrix, without computing it
    (`excluded`: a boolean mask over the catalog, or None)."""
    n = len(view.context.venues)
    left = n if excluded is None else n - int(np.count_nonzero(excluded))
    if left <= EXACT_BELOW:
        positions = np.arange(n) if excluded is None else np.flatnonzero(~excluded)
        return select(view.features(positions), positions)

    def allowed(positions: np.ndarray) -> np.ndarray:
        return positions if excluded is None else positions[~excluded[positions]]

    def everywhere() -> np.ndarray:
        return np.arange(n) if excluded is None else np.flatnonzero(~excluded)

    chosen = []
    # Own visits: only the person's venues are positive.
    mine = allowed(view.venues)
    own = view.recency[np.searchsorted(view.venues, mine)].astype(np.float32)
    chosen.append(largest(own.astype(np.float64), mine, CANDIDATE_SIZES["own_recency"]))
    # Item-kNN: only the neighbours of the person's venues are positive.
    similar = allowed(np.flatnonzero(view.knn))
    knn = view.knn[similar].astype(np.float32).astype(np.float64)
    chosen.append(largest(knn, similar, CANDIDATE_SIZES["knn_score"]))
    chosen.append(_spec_candidates(view, allowed, everywhere))
    if len(view.anchors):  # without usual places both area signals are 0 everywhere
        chosen.extend(_area_candidates(view, excluded, everywhere))
    return union(n, chosen)


def _spec_score(view: PersonView, at: np.ndarray) -> np.ndarray:
    return view.spec(at)[1][0].astype(np.float32).astype(np.float64)


def _spec_candidates(view: PersonView, allowed, everywhere) -> np.ndarray:
    """The best SPEC scores: exact on a shortlist, when no venue outside it can beat the
    shortlist's `size`-th (outside: not the person's, farther than km from home, and no
    more popular than the POPULAR_SHORTLIST-th)."""
    context, settings, size = view.context, view.settings, CANDIDATE_SIZES["spec_score"]
    popular = context.by_popularity[:POPULAR_SHORTLIST]
    rest = context.by_popularity[POPULAR_SHORTLIST : POPULAR_SHORTLIST + 1]
    popularity_bound = (
        float(context.popularity_count[rest[0]]) / context.max_count
        if len(rest) and context.max_count > 0
        else 0.0
    )
    for km in HOME_RADII_KM if view.home is not None else (None,):
        near = None if km is None else near_home(context, view.home, km)
        if km is not None and near is None:
            break
        spatial_bound = 0.0 if km is None else np.exp(-settings.spatial_decay_per_km * km)
        bound = (
            settings.venue_weight_spatial * spatial_bound
            + settings.venue_weight_popularity * popularity_bound
        )
        parts = [view.venues, popular] + ([] if near is None else [near])
        shortlist = allowed(union(len(context.venues), parts))
        best, kth = largest_and_kth(_spec_score(view, shortlist), shortlist, size)
        if len(best) == size and bound * (1 + SLACK) < kth:
            return best
    positions = everywhere()
    return largest(_spec_score(view, positions), positions, size)


def _area_candidates(view: PersonView, excluded, everywhere) -> list[np.ndarray]:
    """Local popularity (density x log visitors) and category affinity x density: bounds
    of the density of every venue (`PersonView.density_bounds`), exact values only for the
    venues whose upper bound reaches the `size`-th best lower bound."""
    context = view.context
    log_visitors = context.log_visitors32
    affinity = view.affinity.astype(np.float32)[context.venues.category]
    lower, upper = view.density_bounds()
    wanted = []  # (signal, size, mask of the venues that could be among the best; None: all)
    for name, weight in (("local_popularity", log_visitors), ("category_near", affinity)):
        size = CANDIDATE_SIZES[name]
        low = lower * weight
        if excluded is not None:
            low[excluded] = 0.0
        if len(low) <= size:
            wanted.append((name, size, None))
            continue
        # At least `size` venues are above kth: the best are too, and within their bounds.
        kth = float(np.partition(low, len(low) - size)[len(low) - size]) * (1 - SLACK)
        if kth < 1e-300:  # fewer than `size` positive lower bounds: every venue, exactly
            wanted.append((name, size, None))
            continue
        could = upper * weight >= kth / (1 + SLACK)
        if excluded is not None:
            could &= ~excluded
        wanted.append((name, size, could))
    if any(could is None for _, _, could in wanted):
        exact_at = everywhere()
    else:
        exact_at = np.flatnonzero(wanted[0][2] | wanted[1][2])
    density = view.area(exact_at, nearest=False)[1]  # as PersonView.features rounds them:
    values = {
        "local_popularity": (density * log_visitors[exact_at]).astype(np.float32),
        "category_near": affinity[exact_at] * density.astype(np.float32),
    }
    # Every venue left out of `exact_at` is below each signal's best `size` (or excluded).
    return [largest(values[name].astype(np.float64), exact_at, size) for name, size, _ in wanted]
