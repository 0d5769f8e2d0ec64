"""Ranking metrics at k over full rankings (every catalog venue is ranked; no sampling).

For one person with the set T of venues they visited in the test window and a ranked list R:

- recall@k   = |R[:k] ∩ T| / |T|
- NDCG@k     = Σ_{i<k, R[i] ∈ T} 1 / log2(i + 2)  divided by the best possible,
               Σ_{i < min(k, |T|)} 1 / log2(i + 2)   (binary relevance: visited or not)
- hit rate@k = 1 if R[:k] ∩ T is not empty, else 0

each averaged over the people evaluated, and

- coverage@k = distinct venues in anyone's top k / catalog size (does the model recommend
               the whole city, or the same few places to everyone?).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

KS = (10, 20)


def top_k(scores: np.ndarray, k: int, exclude: np.ndarray | None = None) -> np.ndarray:
    """Indices of the k best scores, best first (ties: lower index first); `exclude` are
    positions left out of the ranking."""
    if exclude is not None and len(exclude):
        scores = scores.astype(np.float64, copy=True)
        scores[exclude] = -np.inf
    k = min(k, len(scores))
    if k < len(scores):
        kth = scores[np.argpartition(-scores, k - 1)[k - 1]]
        part = np.flatnonzero(scores >= kth)  # every venue tied with the k-th, too
    else:
        part = np.arange(len(scores))
    ranked = part[np.lexsort((part, -scores[part]))][:k]
    if exclude is not None and len(exclude):
        ranked = ranked[np.isfinite(scores[ranked])]
    return ranked


def recall_at(ranked: Sequence[int], truth: set[int], k: int) -> float:
    return len(set(ranked[:k]) & truth) / len(truth)


def ndcg_at(ranked: Sequence[int], truth: set[int], k: int) -> float:
    dcg = sum(1.0 / np.log2(i + 2) for i, item in enumerate(ranked[:k]) if item in truth)
    ideal = sum(1.0 / np.log2(i + 2) for i in range(min(k, len(truth))))
    return dcg / ideal


def hit_at(ranked: Sequence[int], truth: set[int], k: int) -> float:
    return 1.0 if set(ranked[:k]) & truth else 0.0


@dataclass
class MetricAccumulator:
    """Adds up one model's per-person metrics for one variant."""

    catalog_size: int
    ks: tuple[int, ...] = KS
    sums: dict[str, float] = field(default_factory=dict)
    recommended: dict[int, set[int]] = field(default_factory=dict)
    people: int = 0

    def add(self, ranked: np.ndarray, truth: set[int]) -> None:
        """`ranked` holds at least max(ks) venues (fewer only when the catalog is smaller)."""
        if not truth:
            return
        items = ranked.tolist()
        self.people += 1
        for k in self.ks:
            for name, fn in (("recall", recall_at), ("ndcg", ndcg_at), ("hit", hit_at)):
                key = f"{name}@{k}"
                self.sums[key] = self.sums.get(key, 0.0) + fn(items, truth, k)
            self.recommended.setdefault(k, set()).update(items[:k])

    def result(self) -> dict[str, float]:
        out: dict[str, float] = {"people": float(self.people)}
        for k in self.ks:
            for name in ("recall", "ndcg", "hit"):
                key = f"{name}@{k}"
                out[key] = self.sums.get(key, 0.0) / self.people if self.people else 0.0
            covered = len(self.recommended.get(k, ()))
            out[f"coverage@{k}"] = covered / self.catalog_size if self.catalog_size else 0.0
        return out


BOOTSTRAP_RESAMPLES = 1000


def bootstrap_mean(
    values: Sequence[float] | np.ndarray,
    seed: int,
    resamples: int = BOOTSTRAP_RESAMPLES,
    level: float = 0.95,
) -> tuple[float, float, float]:
    """The mean of `values` and its percentile bootstrap interval at `level`: `resamples`
    resamples of the values with replacement, drawn from numpy's default generator seeded with
    `seed` (the same seed, the same interval)."""
    data = np.asarray(values, dtype=np.float64)
    if len(data) == 0:
        return 0.0, 0.0, 0.0
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(data), size=(resamples, len(data)))
    means = data[draws].mean(axis=1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return float(data.mean()), float(low), float(high)


def paired_bootstrap(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    seed: int,
    resamples: int = BOOTSTRAP_RESAMPLES,
    level: float = 0.95,
) -> tuple[float, float, float]:
    """Mean of a - b over the same people (a[i] and b[i] are person i's) with its paired
    bootstrap interval: people are resampled, each keeping both of their values."""
    first, second = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if first.shape != second.shape:
        raise ValueError("paired values: both models must score the same people")
    return bootstrap_mean(first - second, seed, resamples, level)
