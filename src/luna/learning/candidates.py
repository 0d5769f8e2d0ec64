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

from luna.learning.features import COLUMN
from luna.learning.grid import near_home
from luna.learning.person_view import PersonView

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
# Area signals: the density is first computed for the venues of the best cells, this many
# times the signal's size (enough for a tight `size`-th best value, few enough to be cheap).
SEED_VENUES_PER_CANDIDATE = 2


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
    return view.spec(at).score.astype(np.float32).astype(np.float64)


def _spec_candidates(view: PersonView, allowed, everywhere) -> np.ndarray:
    """The best SPEC scores: exact on a shortlist, when no venue outside it can beat the
    shortlist's `size`-th (outside: not the person's, farther than km from home, and no
    more popular than the POPULAR_SHORTLIST-th)."""
    context, settings, size = view.context, view.settings, CANDIDATE_SIZES["spec_score"]
    popular = context.by_popularity[:POPULAR_SHORTLIST]
    rest = context.by_popularity[POPULAR_SHORTLIST : POPULAR_SHORTLIST + 1]
    popularity_bound = float(context.popularity[rest[0]]) if len(rest) else 0.0
    for km in HOME_RADII_KM if view.home is not None else (None,):
        near = None if km is None else near_home(context.grid, view.home, km)
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
    """Local popularity (density x log visitors) and category affinity x density. The
    density is computed exactly, first, for the venues of the grid cells whose bound
    (`PersonView.cell_density_upper` x the cell's largest weight) is best, until they hold
    SEED_VENUES_PER_CANDIDATE x `size` venues that can score: their `size`-th best value is
    reached by at least `size` venues. Then for every other venue whose own bound reaches
    it; the venues left are below each signal's best `size` (or excluded)."""
    context, grid = view.context, view.context.grid
    category = context.venues.category
    log_visitors = context.log_visitors32
    affinity = view.affinity.astype(np.float32)
    upper = view.cell_density_upper()
    # Per signal: each venue's weight, the largest of each cell's, and how many venues of
    # each cell can score (a positive weight, not excluded).
    weights = {
        "local_popularity": (log_visitors, context.cell_max_log_visitors),
        "category_near": (
            affinity[category],
            (np.sign(context.cell_category_count) * affinity).max(axis=1),
        ),
    }
    if excluded is None:
        can_score = {
            "local_popularity": context.cell_visited_count,
            "category_near": context.cell_category_count @ (affinity > 0),
        }
    else:
        can_score = {
            name: np.bincount(grid.cell_of, weights=(weight > 0) & ~excluded, minlength=len(upper))
            for name, (weight, _) in weights.items()
        }

    def allowed(positions: np.ndarray) -> np.ndarray:
        return positions if excluded is None else positions[~excluded[positions]]

    def values(name: str, at: np.ndarray, density: np.ndarray) -> np.ndarray:
        if name == "local_popularity":  # as PersonView.features rounds them
            return (density * log_visitors[at]).astype(np.float32).astype(np.float64)
        return (affinity[category[at]] * density.astype(np.float32)).astype(np.float64)

    def exactly(at: np.ndarray, density: np.ndarray) -> list[np.ndarray]:
        return [largest(values(n, at, density), at, CANDIDATE_SIZES[n]) for n in weights]

    cell_bound = {name: upper * cell_weight for name, (_, cell_weight) in weights.items()}
    seed_cells = []
    for name, bound in cell_bound.items():
        best_first = np.argsort(-bound, kind="stable")
        wanted = SEED_VENUES_PER_CANDIDATE * CANDIDATE_SIZES[name]
        enough = int(np.searchsorted(np.cumsum(can_score[name][best_first]), wanted)) + 1
        seed_cells.append(best_first[:enough])
    seed = allowed(grid.venues_in(np.unique(np.concatenate(seed_cells))))
    seed_density = view.area(seed, nearest=False)[1]
    more = []
    for name, bound in cell_bound.items():
        size = CANDIDATE_SIZES[name]
        best, kth = largest_and_kth(values(name, seed, seed_density), seed, size)
        if len(best) < size:  # fewer than `size` can score: every venue, exactly
            exact_at = everywhere()
            return exactly(exact_at, view.area(exact_at, nearest=False)[1])
        venues = allowed(grid.venues_in(np.flatnonzero(bound * (1 + SLACK) >= kth)))
        venue_bound = upper[grid.cell_of[venues]] * weights[name][0][venues]
        more.append(venues[venue_bound * (1 + SLACK) >= kth])
    seen = np.zeros(len(context.venues), dtype=bool)
    seen[seed] = True
    rest = union(len(context.venues), more)
    rest = rest[~seen[rest]]
    density = np.concatenate([seed_density, view.area(rest, nearest=False)[1]])
    return exactly(np.concatenate([seed, rest]), density)
