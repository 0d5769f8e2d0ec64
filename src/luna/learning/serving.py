"""The learned venue scorer behind `GET /reco/venues/{user_id}` (LUNA_VENUE_MODEL=learned).

    ranker = LearnedVenueRanker.load(settings.luna_venue_model_path, settings.reco)
    if ranker is None: ...                     # logged already: use the heuristic
    context = build_context(...)               # once per venue-index (re)build
    history = PersonHistory(...)               # per request: the person's own interactions
    now = luna.clock.now_seconds(settings.luna_clock)  # recency's origin; or a request's `at`
    result = ranker.score(context, history, now)  # moment_local=: `at`'s time of week
    result.top(10)                             # the 10 best positions, best first
    result.features_at(positions)              # their features (float32, FEATURE_NAMES)
    result.scores                              # (n_venues,), higher is better

Per request: the candidates from cheap signals (luna.learning.candidates), the features of
those few hundred venues only, and the trees on them. The other venues rank below, in
fallback order, computed only when asked for (`scores`, or `top(k)` with fewer than k
candidates). `luna eval` scores the test people with this same class (`scores`): the same
ranking as `top`.
"""

import functools
import logging
from pathlib import Path

import numpy as np

from luna.config import RecoSettings
from luna.learning.candidates import person_candidates
from luna.learning.features import FEATURE_NAMES, CatalogContext, PersonHistory, build_context
from luna.learning.person_view import PersonView
from luna.learning.ranker import ModelFileError, RankerModel, fallback_order, load_model_file
from luna.learning.windows import Window

logger = logging.getLogger(__name__)

__all__ = [
    "FEATURE_NAMES",
    "CatalogContext",
    "LearnedVenueRanker",
    "PersonHistory",
    "VenueScores",
    "build_context",
]


def top(scores: np.ndarray, limit: int) -> np.ndarray:
    """The best `limit` positions with a finite score, best first (ties: position order)."""
    finite = np.flatnonzero(np.isfinite(scores))
    values = scores[finite]
    if len(finite) > limit:
        kth = np.partition(values, len(values) - limit)[len(values) - limit]
        keep = values >= kth
        finite, values = finite[keep], values[keep]
    return finite[np.lexsort((finite, -values))][:limit]


class VenueScores:
    """One person's ranking of the catalog: the candidates with the trees' scores, every
    other venue (not excluded) below them in fallback order."""

    feature_names = FEATURE_NAMES

    def __init__(
        self,
        view: PersonView,
        excluded: np.ndarray | None,
        candidates: np.ndarray,
        rows: np.ndarray,
        predicted: np.ndarray,
    ) -> None:
        self._view, self._excluded = view, excluded
        self.candidates = candidates  # sorted positions the trees scored
        self.candidate_features = rows  # their features
        self.candidate_scores = predicted  # the trees' scores

    def top(self, limit: int) -> np.ndarray:
        """The best `limit` positions, best first (ties: position order): `top(scores)`,
        without scoring every venue when the candidates are enough."""
        if len(self.candidates) >= limit:
            return self.candidates[top(self.candidate_scores, limit)]
        return top(self.scores, limit)

    def _candidate_index(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index into the candidates of `positions`, and which are candidates."""
        if len(self.candidates) == 0:
            return np.zeros(len(positions), np.int64), np.zeros(len(positions), bool)
        index = np.minimum(np.searchsorted(self.candidates, positions), len(self.candidates) - 1)
        return index, self.candidates[index] == positions

    def scores_at(self, positions: np.ndarray) -> np.ndarray:
        """`scores` of some venues (the candidates' without scoring every venue)."""
        positions = np.asarray(positions, dtype=np.int64)
        index, known = self._candidate_index(positions)
        return self.candidate_scores[index] if known.all() else self.scores[positions]

    def features_at(self, positions: np.ndarray) -> np.ndarray:
        """Feature rows of venues (the candidates' are kept)."""
        positions = np.asarray(positions, dtype=np.int64)
        index, known = self._candidate_index(positions)
        if known.all():
            return self.candidate_features[index]
        rows = np.empty((len(positions), len(FEATURE_NAMES)), dtype=np.float32)
        rows[known] = self.candidate_features[index[known]]
        rows[~known] = self._view.features(positions[~known])
        return rows

    @functools.cached_property
    def scores(self) -> np.ndarray:
        """(n_venues,) float64, higher is better; excluded venues are -inf. As
        `luna.learning.ranker.cascade_scores` on the feature matrix of every venue."""
        n = len(self._view.context.venues)
        others = np.ones(n, dtype=bool)
        others[self.candidates] = False
        if self._excluded is not None:
            others &= ~self._excluded
        rest = np.flatnonzero(others)
        fallback = fallback_order(self._view.features(rest))
        floor = float(self.candidate_scores.min()) if len(self.candidates) else 0.0
        scores = np.full(n, -np.inf)
        scores[rest] = floor - 2.0 + fallback / (1.0 + fallback)  # in [floor - 2, floor - 1)
        scores[self.candidates] = self.candidate_scores
        return scores


class LearnedVenueRanker:
    def __init__(self, model: RankerModel, settings: RecoSettings | None = None) -> None:
        self.model = model
        self.settings = settings or RecoSettings()

    @classmethod
    def load(
        cls, path: str | Path | None, settings: RecoSettings | None = None
    ) -> "LearnedVenueRanker | None":
        """The model at `path`, or None (with a logged warning) when it is missing or broken."""
        if path is None:
            logger.warning("no venue model path configured: using the heuristic")
            return None
        try:
            model = load_model_file(Path(path))
        except ModelFileError as exc:
            logger.warning("venue model not loaded, using the heuristic: %s", exc)
            return None
        return cls(model, settings)

    @property
    def metrics(self) -> dict:
        return self.model.metrics

    def score(
        self,
        context: CatalogContext,
        history: PersonHistory,
        now: int,
        exclude: np.ndarray | None = None,
        mode: str = "all",
        moment_local: int | None = None,
    ) -> VenueScores:
        """Every venue of `context` for one person. `now` (UTC epoch seconds) is what recency
        counts from. `exclude` (catalog positions, or a boolean mask over them) are left out
        (-inf); `mode="new"` uses the booster trained for venues new to the person (pass
        their visited venues as `exclude`). `moment_local`: the local wall-clock seconds of
        the moment asked about (`now` is then its UTC time), or None: no such context. With
        a moment, `mode="all"` uses the booster trained on next visits at their moment
        (`moment`)."""
        view = PersonView(context, history, now, self.settings, moment_local)
        excluded = None
        if exclude is not None and exclude.dtype == bool:
            excluded = exclude if exclude.any() else None
        elif exclude is not None and len(exclude):
            excluded = np.zeros(len(context.venues), dtype=bool)
            excluded[exclude] = True
        if mode == "all" and moment_local is not None:
            mode = "moment"
        candidates = person_candidates(view, excluded)
        rows = view.features(candidates)
        predicted = self.model.predict(rows, mode)
        return VenueScores(view, excluded, candidates, rows, predicted)

    def score_window(self, window: Window, user: int, variant: str) -> np.ndarray:
        """Evaluation: the person's scores at the window's cutoff."""
        exclude = window.known[user] if variant == "new" else None
        return self.score(
            window.context, window.histories[user], window.cutoff, exclude, variant
        ).scores
