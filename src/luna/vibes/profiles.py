"""Vibe profiles as the venue index holds them: a (venues x vibes) matrix in the snapshot's
venue order, and what the ranking reads from it. Pure: no session."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from luna.vibes.learner import NO_PEAK
from luna.vibes.vocabulary import VIBE_NAMES, prior_matrix

# Per vibe, the venues fitting it best are kept in this order (the ranking's pruning scores
# these first: luna.reco.ranking).
TOP_PER_VIBE = 64


@dataclass(frozen=True, eq=False)
class VibeMatrix:
    version: int | None  # the stored version (None: category priors only, nothing stored)
    scores: np.ndarray  # float64 (venues, vibes) in [0, 1]
    peak: np.ndarray  # int16 per venue, luna.vibes.learner.peak_label code
    top: np.ndarray  # int64 (vibes, <= leading + 1): positions, best fit first
    leading: int = TOP_PER_VIBE  # the ranking scores top[:, :leading] first

    @classmethod
    def build(
        cls,
        ids: Sequence[uuid.UUID],
        categories: Sequence[str | None],
        version: int | None,
        rows: Iterable[Any],
        leading: int = TOP_PER_VIBE,
    ) -> "VibeMatrix":
        """The stored profiles (rows of venue_id, scores, peak) at the venues `ids`; a venue
        stored in no version (added since the last refresh) gets its category's prior."""
        scores, _ = prior_matrix(list(categories))
        peak = np.full(len(ids), NO_PEAK, dtype=np.int16)
        position = {vid: i for i, vid in enumerate(ids)}
        for venue_id, venue_scores, venue_peak in rows:
            i = position.get(venue_id)
            if i is not None and len(venue_scores) == len(VIBE_NAMES):
                scores[i] = venue_scores
                peak[i] = NO_PEAK if venue_peak is None else venue_peak
        keep = min(leading + 1, len(ids))
        top = np.argsort(-scores, axis=0, kind="stable")[:keep].T.copy()
        return cls(version=version, scores=scores, peak=peak, top=top, leading=leading)

    def fit(self, columns: Sequence[int], at: np.ndarray | None = None) -> np.ndarray:
        """How well each venue (or those at `at`) fits the asked vibes: the mean of their
        scores."""
        rows = self.scores if at is None else self.scores[at]
        if len(columns) == 1:
            return rows[:, columns[0]]
        return rows[:, list(columns)].mean(axis=1)

    def leading_positions(self, column: int) -> np.ndarray:
        """The `leading` venues fitting the vibe `column` best."""
        return self.top[column, : self.leading]

    def best_fit_outside_leading(self, columns: Sequence[int]) -> float:
        """An upper bound of `fit` for every venue outside `leading_positions` of each asked
        vibe (the mean of each vibe's next best score)."""
        bounds = []
        for c in columns:
            order = self.top[c]
            bounds.append(
                float(self.scores[order[self.leading], c]) if len(order) > self.leading else 0.0
            )
        return sum(bounds) / len(bounds)
