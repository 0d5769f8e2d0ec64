"""The models the learned ranker must beat, each scoring every catalog venue for a person.

- `heuristic`: the contract's SPEC §3 formula (luna.reco.heuristic.score_venues, as served);
- `popularity`: most visited venues first (the same list for everyone);
- `nearest`: nearest to the person's estimated home first (popularity without a home);
- `item_knn`: venues visited by the same people as the person's venues (cosine, top 50
  neighbours per venue; the same similarity as the ranker's `knn_score` feature);
- `als`: implicit-feedback matrix factorisation (implicit's AlternatingLeastSquares),
  hyper-parameters chosen on the validation window.

Scores ties are broken by a tiny share of popularity (then by catalog position), so that the
zero-score tail of a model is not an arbitrary order.
"""

import itertools
import os
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from luna.config import RecoSettings
from luna.geo import haversine_km
from luna.learning.windows import Window
from luna.reco.heuristic import score_venues

TIE_BREAK = 1e-6
# ALS: what tuning tries (chosen on validation NDCG@10, all visits).
ALS_GRID = {"factors": (32, 64), "regularization": (0.05, 0.5), "alpha": (2.0, 10.0)}
ALS_ITERATIONS = 15


class Model(Protocol):
    name: str

    def fit(self, window: Window) -> None: ...

    def scores(self, window: Window, user: int) -> np.ndarray: ...


def _tie_break(window: Window) -> np.ndarray:
    popularity = window.context.popularity_count
    top = popularity.max(initial=0.0)
    return TIE_BREAK * popularity / top if top > 0 else np.zeros(len(popularity))


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
            return _tie_break(window)
        return -haversine_km(home[0], home[1], window.venues.lat, window.venues.lng)


@dataclass
class ItemKNN:
    name: str = "item-kNN"

    def fit(self, window: Window) -> None:
        return None

    def scores(self, window: Window, user: int) -> np.ndarray:
        row = window.visits[user]
        knn = window.context.neighbours[row.indices].T @ row.data.astype(np.float64)
        return knn + _tie_break(window)


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
            return _tie_break(window)
        return self.item_factors @ self.user_factors[user] + _tie_break(window)

    def describe(self) -> str:
        return f"factors={self.factors}, regularization={self.regularization}, alpha={self.alpha}"


def als_candidates(seed: int) -> list[ALS]:
    keys = list(ALS_GRID)
    return [
        ALS(**dict(zip(keys, values, strict=True)), seed=seed)
        for values in itertools.product(*(ALS_GRID[k] for k in keys))
    ]
