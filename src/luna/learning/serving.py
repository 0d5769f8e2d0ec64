"""The learned venue scorer behind `GET /reco/venues/{user_id}` (LUNA_VENUE_MODEL=learned).

    ranker = LearnedVenueRanker.load(settings.luna_venue_model_path, settings.reco)
    if ranker is None: ...                     # logged already: use the heuristic
    context = build_context(...)               # once per venue-index (re)build
    history = PersonHistory(...)               # per request: the person's own interactions
    result = ranker.score(context, history, now=int(time.time()))
    result.scores                              # (n_venues,), higher is better
    result.features                            # (n_venues, len(FEATURE_NAMES)) float32

Per request: the features of every venue (numpy, a few ms for 20,000 venues), then the
trees on the few hundred candidates only (see luna.learning.ranker). `luna eval` scores the
test people with this same class.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from luna.config import RecoSettings
from luna.learning.features import (
    FEATURE_NAMES,
    CatalogContext,
    PersonHistory,
    build_context,
    person_features,
)
from luna.learning.ranker import ModelFileError, RankerModel, load_model_file
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


@dataclass(frozen=True)
class VenueScores:
    scores: np.ndarray  # (n_venues,) float64; excluded venues are -inf
    features: np.ndarray  # (n_venues, n_features) float32, columns FEATURE_NAMES
    candidates: np.ndarray  # positions the trees scored; every other venue ranks below them
    feature_names: tuple[str, ...] = FEATURE_NAMES


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
    ) -> VenueScores:
        """Every venue of `context` for one person. `exclude` (catalog positions) are left
        out (-inf); `mode="new"` uses the booster trained for venues new to the person
        (pass their visited venues as `exclude`)."""
        features = person_features(context, history, now, self.settings)
        scores, candidates = self.model.scores(features, exclude, mode)
        return VenueScores(scores, features, candidates)

    def score_window(self, window: Window, user: int, variant: str) -> np.ndarray:
        """Evaluation: the person's scores at the window's cutoff."""
        exclude = window.known[user] if variant == "new" else None
        return self.score(
            window.context, window.histories[user], window.cutoff, exclude, variant
        ).scores
