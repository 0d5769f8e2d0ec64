"""The models the learned ranker must beat, each scoring every catalog venue for a person.

- `heuristic`: the contract's SPEC §3 formula (luna.reco.heuristic.score_venues, as served);
- `popularity`: most visited venues first (the same list for everyone);
- `nearest`: nearest to the person's estimated home first (popularity without a home);
- `item_knn`: venues visited by the same people as the person's venues (cosine, top 50
  neighbours per venue; the same similarity as the ranker's `knn_score` feature). A venue's
  own visits do not count towards its score (the similarity has no diagonal), so the
  person's own places only score through their similar places;
- `item_knn_own`: the same, plus `own_weight` x the person's visits to the venue itself (the
  weight tuned on validation): item-kNN that keeps a person's own venues;
- `personal_frequency`: the person's venues, most visited first;
- `recency_frequency`: the person's venues by recency-weighted visits (each visit weighs
  0.5 ** (age / half-life); the half-life tuned on validation);
- `tifu_knn`: TIFU-KNN (Hu et al., SIGIR 2020): each person's repeat vector from their
  baskets (a basket = the catalog venues of one local check-in day), decayed within groups of
  `group_size` baskets and between groups, blended with the mean vector of their `k` nearest
  people (Euclidean distance between repeat vectors, as the authors' code, or cosine):
  alpha x own + (1 - alpha) x neighbours (alpha, k and the distance tuned on validation);
- `als`: implicit-feedback matrix factorisation (implicit's AlternatingLeastSquares),
  hyper-parameters chosen on the validation window.

Scores ties are broken by a tiny share of popularity (then by catalog position), so that the
zero-score tail of a model is not an arbitrary order. The models whose scores can be tiny
(frequencies, recency weights, TIFU-KNN) rank every venue with a positive score above every
other (`positive_first`), so the popularity share never reorders them.
"""

import itertools
import os
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import scipy.sparse as sp

from luna.config import RecoSettings
from luna.geo import haversine_km
from luna.learning.data import DAY
from luna.learning.features import FREQUENCY_HALF_LIFE_DAYS, CatalogContext, recency_weights
from luna.learning.windows import Window
from luna.reco.heuristic import score_venues

TIE_BREAK = 1e-6
# ALS: what tuning tries (chosen on validation NDCG@10, all visits).
ALS_GRID = {"factors": (32, 64), "regularization": (0.05, 0.5), "alpha": (2.0, 10.0)}
ALS_ITERATIONS = 15
# Recency-weighted frequency: half-lives tried on validation (days).
HALF_LIFE_GRID = (7.0, 14.0, 30.0, 60.0, 120.0, 240.0)
# Item-kNN keeping a person's own venues: weights of their own visits tried on validation.
OWN_WEIGHT_GRID = (0.1, 0.3, 1.0, 3.0, 10.0, 100.0, 1000.0)
# TIFU-KNN: alpha and k tried on validation; the decays and group size are the paper's usual
# values (within-group 0.9, between groups 0.7, groups of 7 baskets).
TIFU_GRID = {
    "alpha": (0.5, 0.7, 0.9, 1.0),
    "k": (50, 300),
    "metric": ("euclidean", "cosine"),
}


class Model(Protocol):
    name: str

    def fit(self, window: Window) -> None: ...

    def scores(self, window: Window, user: int) -> np.ndarray: ...


def tie_break(context: CatalogContext) -> np.ndarray:
    popularity = context.popularity_count
    top = popularity.max(initial=0.0)
    return TIE_BREAK * popularity / top if top > 0 else np.zeros(len(popularity))


def positive_first(scores: np.ndarray, context: CatalogContext) -> np.ndarray:
    """Every venue with a positive score above every other, in the order of its score (kept
    exactly, in log space, however small); the others by popularity (`tie_break`)."""
    out = tie_break(context)
    positive = scores > 0
    if positive.any():
        logs = np.log(scores[positive])
        out[positive] = 1.0 + logs - logs.min()
    return out


@dataclass
class Heuristic:
    settings: RecoSettings
    name: str = "heuristic (SPEC §3)"

    def fit(self, window: Window) -> None:
        return None

    def scores(self, window: Window, user: int) -> np.ndarray:
        history = window.histories[user]
        n = len(window.venues)
        home = history.home
        distance = (
            haversine_km(home[0], home[1], window.venues.lat, window.venues.lng) if home else None
        )
        engaged = np.unique(history.venue)
        positive = np.bincount(history.venue[history.positive], minlength=n)[engaged]
        dwell = np.bincount(history.venue, weights=history.dwell, minlength=n)[engaged]
        return score_venues(
            distance, window.context.popularity, engaged, positive, dwell, self.settings
        ).score


@dataclass
class Popularity:
    name: str = "popularity"

    def fit(self, window: Window) -> None:
        return None

    def scores(self, window: Window, user: int) -> np.ndarray:
        return window.context.popularity_count.astype(np.float64)


@dataclass
class Nearest:
    name: str = "nearest to home"

    def fit(self, window: Window) -> None:
        return None

    def scores(self, window: Window, user: int) -> np.ndarray:
        home = window.histories[user].home
        if home is None:
            return tie_break(window.context)
        return -haversine_km(home[0], home[1], window.venues.lat, window.venues.lng)


@dataclass
class ItemKNN:
    name: str = "item-kNN"

    def fit(self, window: Window) -> None:
        return None

    def scores(self, window: Window, user: int) -> np.ndarray:
        row = window.visits[user]
        knn = window.context.neighbours[row.indices].T @ row.data.astype(np.float64)
        return knn + tie_break(window.context)


@dataclass
class ItemKNNOwn:
    """Item-kNN plus `own_weight` x the person's own visits to each venue."""

    own_weight: float = 1.0
    name: str = "item-kNN + own visits"

    def fit(self, window: Window) -> None:
        return None

    def scores(self, window: Window, user: int) -> np.ndarray:
        row = window.visits[user]
        counts = row.data.astype(np.float64)
        score = window.context.neighbours[row.indices].T @ counts
        score[row.indices] += self.own_weight * counts
        return score + tie_break(window.context)

    def describe(self) -> str:
        return f"own weight={self.own_weight:g}"


@dataclass
class PersonalFrequency:
    name: str = "personal frequency"

    def fit(self, window: Window) -> None:
        return None

    def scores(self, window: Window, user: int) -> np.ndarray:
        venue = window.histories[user].venue
        counts = np.bincount(venue, minlength=len(window.venues)).astype(np.float64)
        return positive_first(counts, window.context)


@dataclass
class RecencyFrequency:
    half_life_days: float = FREQUENCY_HALF_LIFE_DAYS
    name: str = "recency-weighted frequency"

    def fit(self, window: Window) -> None:
        return None

    def scores(self, window: Window, user: int) -> np.ndarray:
        history = window.histories[user]
        age_days = (window.cutoff - history.utc) / DAY
        weights = recency_weights(age_days, self.half_life_days)
        score = np.bincount(history.venue, weights=weights, minlength=len(window.venues))
        return positive_first(score, window.context)

    def describe(self) -> str:
        return f"half-life={self.half_life_days:g} days"


def tifu_vectors(
    window: Window, within_decay: float, group_decay: float, group_size: int
) -> sp.csr_matrix:
    """Everyone's TIFU-KNN repeat vector (users x venues), from the catalog check-ins before
    the window's cutoff. A basket is the set of venues of one local day. A person's n baskets,
    oldest first, form ceil(n / group_size) groups counted from the most recent (the oldest
    group may be smaller). Basket vector: 1 per venue in it. Group vector: the mean over its
    baskets of within_decay ** (baskets after it in the group) x basket. Person vector: the
    mean over groups of group_decay ** (groups after it) x group vector."""
    events = window.events
    n_users, n_venues = window.visits.shape
    if len(events.user) == 0:
        return sp.csr_matrix((n_users, n_venues))
    day = events.local // DAY
    # distinct (user, day, venue): each venue once per basket
    triples = np.unique(np.stack([events.user.astype(np.int64), day, events.venue]), axis=1)
    user, day, venue = triples
    baskets, basket_of = np.unique(np.stack([user, day]), axis=1, return_inverse=True)
    basket_of = basket_of.ravel()
    basket_user = baskets[0]  # sorted by user, then day
    first = np.searchsorted(basket_user, basket_user, side="left")
    last = np.searchsorted(basket_user, basket_user, side="right")
    count = last - first  # baskets of that person
    from_end = last - 1 - np.arange(len(basket_user))  # 0 = the person's latest basket
    group = from_end // group_size  # 0 = the latest group
    groups = -(-count // group_size)
    oldest = group == groups - 1
    group_len = np.where(oldest, count - group_size * (groups - 1), group_size)
    within = from_end % group_size  # baskets after it in its group
    weight = within_decay**within * group_decay**group / (group_len * groups)  # per basket
    return sp.csr_matrix(
        (weight[basket_of], (user, venue)), shape=(n_users, n_venues), dtype=np.float64
    )


@dataclass
class TIFUKNN:
    alpha: float = 0.7
    k: int = 300
    within_decay: float = 0.9
    group_decay: float = 0.7
    group_size: int = 7
    metric: str = "euclidean"  # or "cosine"
    name: str = "TIFU-KNN"
    predictions: sp.csr_matrix = field(default=None, repr=False)  # type: ignore[assignment]

    def fit(self, window: Window) -> None:
        vectors = tifu_vectors(window, self.within_decay, self.group_decay, self.group_size)
        self.predictions = tifu_predict(vectors, self.alpha, self.k, self.metric)

    def scores(self, window: Window, user: int) -> np.ndarray:
        row = self.predictions[user]
        score = np.zeros(len(window.venues))
        score[row.indices] = row.data
        return positive_first(score, window.context)

    def describe(self) -> str:
        return f"alpha={self.alpha:g}, k={self.k}, {self.metric}"


def tifu_predict(
    vectors: sp.csr_matrix, alpha: float, k: int, metric: str = "euclidean"
) -> sp.csr_matrix:
    """alpha x own vector + (1 - alpha) x the mean vector of the k nearest other people
    (Euclidean distance between the vectors, or between the vectors scaled to length 1 for
    "cosine"; only people with a non-empty vector are neighbours; ties: lower code)."""
    n_users = vectors.shape[0]
    active = np.flatnonzero(vectors.getnnz(axis=1) > 0)
    k = min(k, len(active) - 1)
    if k <= 0 or alpha >= 1.0:
        return (alpha * vectors).tocsr()
    sub = vectors[active]
    if metric == "cosine":
        lengths = np.sqrt(np.asarray(sub.multiply(sub).sum(axis=1)).ravel())
        sub = sp.diags(1.0 / lengths) @ sub
    elif metric != "euclidean":
        raise ValueError(f"unknown metric {metric!r}")
    gram = (sub @ sub.T).toarray()
    norms = np.diag(gram)
    distance = norms[:, None] + norms[None, :] - 2.0 * gram
    np.fill_diagonal(distance, np.inf)
    order = np.argsort(distance, axis=1, kind="stable")[:, :k]
    rows = np.repeat(active, k)
    cols = active[order.ravel()]
    mean = sp.csr_matrix((np.full(len(rows), 1.0 / k), (rows, cols)), shape=(n_users, n_users))
    return (alpha * vectors + (1.0 - alpha) * (mean @ vectors)).tocsr()


def recency_candidates() -> list[RecencyFrequency]:
    return [RecencyFrequency(half_life) for half_life in HALF_LIFE_GRID]


def item_knn_own_candidates() -> list[ItemKNNOwn]:
    return [ItemKNNOwn(weight) for weight in OWN_WEIGHT_GRID]


def tifu_candidates() -> list[TIFUKNN]:
    keys = list(TIFU_GRID)
    return [
        TIFUKNN(**dict(zip(keys, values, strict=True)))
        for values in itertools.product(*(TIFU_GRID[k] for k in keys))
    ]


@dataclass
class ALS:
    factors: int = 64
    regularization: float = 0.05
    alpha: float = 2.0
    seed: int = 0
    name: str = "ALS (implicit)"
    user_factors: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    item_factors: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]

    def fit(self, window: Window) -> None:
        from implicit.als import AlternatingLeastSquares

        model = AlternatingLeastSquares(
            factors=self.factors,
            regularization=self.regularization,
            alpha=self.alpha,
            iterations=ALS_ITERATIONS,
            random_state=self.seed,
            num_threads=min(2, os.cpu_count() or 1),
        )
        matrix = window.visits.copy()
        matrix.data = np.log1p(matrix.data)  # repeat visits count, with diminishing returns
        model.fit(matrix, show_progress=False)
        self.user_factors = np.asarray(model.user_factors)
        self.item_factors = np.asarray(model.item_factors)

    def scores(self, window: Window, user: int) -> np.ndarray:
        if window.visits[user].nnz == 0:
            return tie_break(window.context)
        return self.item_factors @ self.user_factors[user] + tie_break(window.context)

    def describe(self) -> str:
        return f"factors={self.factors}, regularization={self.regularization}, alpha={self.alpha}"


def als_candidates(seed: int) -> list[ALS]:
    keys = list(ALS_GRID)
    return [
        ALS(**dict(zip(keys, values, strict=True)), seed=seed)
        for values in itertools.product(*(ALS_GRID[k] for k in keys))
    ]
