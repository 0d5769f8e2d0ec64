"""The learned venue ranker: LightGBM LambdaRank over luna.learning.features, in two stages.

1. Candidates (`luna.learning.candidates`): every venue is scored by cheap signals (own
   recent visits, item-kNN, local popularity, the SPEC score, category affinity near the
   person's places) and the best of each are kept (a few hundred of tens of thousands).
2. The boosted trees re-rank the candidates, from their features only. The other venues
   follow, in local-popularity order, so every catalog venue is ranked.

Three boosters are trained: `all` (every venue a candidate, the contract's default), `new`
(the venues the person already visited left out, for "discover something new" lists), and
`moment`, for a ranking at a given moment and place (a request's `at` and `near`): it learns
from next visits (`luna.learning.moments`), one query per check-in, ranked at its time with
the moment's features, where the other two learn from 4-week windows with none.

The model file is JSON: a format name and version, the feature list the trees expect, the
candidate sizes, the training parameters, the metrics measured when it was trained, the time
span of the interactions it was trained from (`first_interaction_at`, `last_interaction_at`,
ISO-8601 UTC, written by `luna train`; null in files written before they were recorded, which
still load), and the
boosters as LightGBM model text. `load_model_file` refuses a file whose format, version or
feature list is not this code's.
"""

import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import lightgbm as lgb
import numpy as np

from luna.config import RecoSettings
from luna.learning.candidates import CANDIDATE_SIZES, candidate_positions, person_candidates
from luna.learning.features import COLUMN, FEATURE_NAMES, N_FEATURES
from luna.learning.person_view import PersonView
from luna.learning.windows import Window

if TYPE_CHECKING:
    import lleaves

logger = logging.getLogger(__name__)

MODEL_FORMAT = "luna-venue-ranker"
MODEL_VERSION = 2  # 2: the moment booster
MODES = ("all", "new", "moment")
PARAMS = {
    "objective": "lambdarank",
    "metric": "ndcg",
    "eval_at": [10],
    "lambdarank_truncation_level": 20,
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 50,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "verbose": -1,
    "deterministic": True,
    "force_row_wise": True,
}
MAX_ROUNDS = 600
EARLY_STOPPING = 50


def fallback_order(features: np.ndarray) -> np.ndarray:
    """How venues outside the candidates are ordered (higher first), from their feature
    rows."""
    return np.nan_to_num(
        features[:, COLUMN["local_popularity"]] + features[:, COLUMN["knn_share"]], nan=0.0
    )


def cascade_scores(
    booster: lgb.Booster,
    features: np.ndarray,
    exclude: np.ndarray | None = None,
    num_threads: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Scores of every venue (higher first) and the candidate positions, from the feature
    matrix of every venue: the reference of what serving computes from the candidates'
    features (`luna.learning.serving.VenueScores`). Candidates get the trees' scores; every
    other venue scores below all of them, in fallback order; excluded venues get -inf."""
    candidates = candidate_positions(features, exclude)
    fallback = fallback_order(features)
    scores = np.empty(len(features))
    if len(candidates):
        predicted = booster.predict(features[candidates], num_threads=num_threads)
        floor = float(predicted.min())
    else:
        predicted, floor = np.zeros(0), 0.0
    scores[:] = floor - 2.0 + fallback / (1.0 + fallback)  # in [floor - 2, floor - 1)
    scores[candidates] = predicted
    if exclude is not None and len(exclude):
        scores[exclude] = -np.inf
    return scores, candidates


@dataclass
class TrainingSet:
    features: list[np.ndarray] = field(default_factory=list)
    labels: list[np.ndarray] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)

    def add_query(self, rows: np.ndarray, candidates: np.ndarray, truth: set[int]) -> None:
        """`rows`: the features of the `candidates`."""
        labels = np.fromiter((c in truth for c in candidates.tolist()), np.float32)
        if labels.sum() == 0 or labels.sum() == len(labels):
            return  # nothing to learn from this person
        self.features.append(rows)
        self.labels.append(labels)
        self.groups.append(len(candidates))

    def extend(self, other: "TrainingSet") -> None:
        self.features += other.features
        self.labels += other.labels
        self.groups += other.groups

    def dataset(self, reference: lgb.Dataset | None = None) -> lgb.Dataset:
        return lgb.Dataset(
            np.concatenate(self.features) if self.features else np.zeros((0, N_FEATURES)),
            np.concatenate(self.labels) if self.labels else np.zeros(0),
            group=self.groups,
            feature_name=list(FEATURE_NAMES),
            reference=reference,
            free_raw_data=False,
        )

    def __len__(self) -> int:
        return len(self.groups)


def train_booster(
    train: TrainingSet,
    validation: TrainingSet | None,
    seed: int,
    threads: int | None = None,
    rounds: int = MAX_ROUNDS,
) -> tuple[lgb.Booster, int]:
    """Fits on `train`, stopping early on `validation`; then, when there is a validation
    set, refits on both with the number of rounds found. Without one, fits `rounds` rounds.
    Returns the booster and rounds."""
    params = dict(PARAMS, seed=seed, num_threads=threads or min(2, os.cpu_count() or 1))
    train_set = train.dataset()
    if validation is not None and len(validation):
        valid_set = validation.dataset(reference=train_set)
        booster = lgb.train(
            params,
            train_set,
            num_boost_round=MAX_ROUNDS,
            valid_sets=[valid_set],
            callbacks=[lgb.early_stopping(EARLY_STOPPING, first_metric_only=True, verbose=False)],
        )
        rounds = max(1, booster.best_iteration)
        both = TrainingSet(
            train.features + validation.features,
            train.labels + validation.labels,
            train.groups + validation.groups,
        )
        train_set = both.dataset()
    booster = lgb.train(params, train_set, num_boost_round=rounds)
    return booster, rounds


def window_sets(window: Window, settings: RecoSettings) -> dict[str, TrainingSet]:
    """One window's queries: one per person for `all` and `new`, one per moment (next visit)
    for `moment`; the candidates and their features, as serving computes them."""
    sets = {mode: TrainingSet() for mode in MODES}
    n = len(window.venues)
    for user in window.people:
        view = PersonView(window.context, window.histories[user], window.cutoff, settings)
        candidates = person_candidates(view)
        sets["all"].add_query(view.features(candidates), candidates, window.truth[user])
        new = window.new_truth(user)
        if new:
            known = np.zeros(n, dtype=bool)
            known[window.known[user]] = True
            candidates = person_candidates(view, known)
            sets["new"].add_query(view.features(candidates), candidates, new)
    for case in window.moments:
        view = PersonView(window.context, case.history, case.utc, settings, case.local)
        candidates = person_candidates(view)
        sets["moment"].add_query(view.features(candidates), candidates, {case.target})
    return sets


# Windows' queries already computed, by window (`id`): `luna train` fits, then refits on the
# same windows and one more.
QueryCache = dict[int, dict[str, TrainingSet]]


def training_sets(
    windows: list[Window],
    settings: RecoSettings,
    advance: Callable[[], object] = lambda: None,
    cache: QueryCache | None = None,
) -> dict[str, TrainingSet]:
    """Every window's queries (`window_sets`), per mode; `advance` is called after each
    window. With a `cache`, a window's queries are computed once."""
    sets = {mode: TrainingSet() for mode in MODES}
    for window in windows:
        queries = None if cache is None else cache.get(id(window))
        if queries is None:
            queries = window_sets(window, settings)
            if cache is not None:
                cache[id(window)] = queries
        for mode in MODES:
            sets[mode].extend(queries[mode])
        advance()
    return sets


def train_ranker_steps(training: list[Window], validation: Window | None) -> int:
    """How many times `train_ranker` advances its progress: once per window, once per mode."""
    return len(training) + (validation is not None) + len(MODES)


def train_ranker(
    training: list[Window],
    validation: Window | None,
    settings: RecoSettings,
    seed: int,
    threads: int | None = None,
    advance: Callable[[], object] = lambda: None,
    rounds: dict[str, int] | None = None,
    cache: QueryCache | None = None,
) -> tuple[dict[str, lgb.Booster], dict[str, int]]:
    """The boosters from the training windows, early-stopped on the validation window;
    without one, each fits its `rounds` (found by an earlier call with one). `cache`: the
    windows' queries, kept between calls (`training_sets`)."""
    train = training_sets(training, settings, advance, cache)
    valid = None
    if validation is not None:
        valid = training_sets([validation], settings, advance, cache)
    boosters, found = {}, {}
    for mode in MODES:
        boosters[mode], found[mode] = train_booster(
            train[mode],
            valid[mode] if valid else None,
            seed,
            threads,
            rounds[mode] if rounds is not None else MAX_ROUNDS,
        )
        advance()
    return boosters, found


class ModelFileError(ValueError):
    """A model file that cannot be used (missing, unreadable, or not this code's format)."""


@dataclass
class RankerModel:
    boosters: dict[str, lgb.Booster]
    metrics: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    # The training data's time span: its first and last interaction (aware, UTC); None when
    # not recorded.
    last_interaction_at: datetime | None = None
    first_interaction_at: datetime | None = None
    # The boosters as machine code (`compile`), used by `predict` when present.
    compiled: dict[str, "lleaves.Model"] = field(default_factory=dict, repr=False)

    def predict(self, rows: np.ndarray, mode: str = "all", num_threads: int = 1) -> np.ndarray:
        """The trees' scores of feature rows."""
        if len(rows) == 0:
            return np.zeros(0)
        compiled = self.compiled.get(mode)
        if compiled is not None and num_threads == 1:
            return compiled.predict(rows, n_jobs=1)
        return self.boosters[mode].predict(rows, num_threads=num_threads)

    def compile(self) -> bool:
        """Compiles the boosters to machine code with lleaves (LLVM), for serving: LightGBM
        walks its trees at ~2.7 us per row here (57 trees of 31 leaves), about 0.9 ms for a
        request's ~330 candidates; the compiled trees take a tenth of that and give the same
        scores but for the last bit or two (the sums' order; tests/learning/test_model_file.py).
        About 2 s per booster, once per process. False, with a logged warning, if it fails:
        LightGBM then predicts."""
        try:
            import lleaves  # LLVM: only where a model serves

            compiled = {}
            with tempfile.TemporaryDirectory(prefix="luna-ranker-") as folder:
                for mode, booster in self.boosters.items():
                    path = Path(folder) / f"{mode}.txt"  # lleaves reads model text files
                    booster.save_model(path)
                    model = lleaves.Model(model_file=str(path))
                    model.compile()
                    compiled[mode] = model
        except Exception:  # an LLVM without the host's target, a model lleaves cannot read
            logger.warning("venue model trees not compiled: LightGBM predicts", exc_info=True)
            return False
        self.compiled = compiled
        return True

    def save(self, path: Path) -> None:
        document = {
            "format": MODEL_FORMAT,
            "version": MODEL_VERSION,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "feature_names": list(FEATURE_NAMES),
            "candidate_sizes": CANDIDATE_SIZES,
            "params": PARAMS,
            "info": self.info,
            "metrics": self.metrics,
            "first_interaction_at": _time_text(self.first_interaction_at),
            "last_interaction_at": _time_text(self.last_interaction_at),
            "boosters": {mode: b.model_to_string() for mode, b in self.boosters.items()},
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(document), encoding="utf-8")
        tmp.replace(path)  # a reader never sees half a file


def load_model_file(path: Path) -> RankerModel:
    """Reads and checks a model file; raises ModelFileError."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: cannot read the model file ({exc})") from exc
    if not isinstance(document, dict) or document.get("format") != MODEL_FORMAT:
        raise ModelFileError(f"{path}: not a {MODEL_FORMAT} file")
    if document.get("version") != MODEL_VERSION:
        raise ModelFileError(
            f"{path}: model file version {document.get('version')!r}, "
            f"this code reads version {MODEL_VERSION}"
        )
    if document.get("feature_names") != list(FEATURE_NAMES):
        raise ModelFileError(f"{path}: trained on other features than this code computes")
    texts = document.get("boosters")
    if not isinstance(texts, dict) or set(texts) != set(MODES):
        raise ModelFileError(f"{path}: expected boosters {', '.join(MODES)}")
    boosters = {}
    for mode, text in texts.items():
        try:
            booster = lgb.Booster(model_str=text)
        except (lgb.basic.LightGBMError, TypeError, ValueError) as exc:
            raise ModelFileError(f"{path}: booster {mode!r} is broken ({exc})") from exc
        if booster.num_feature() != N_FEATURES:
            raise ModelFileError(f"{path}: booster {mode!r} expects other features")
        boosters[mode] = booster
    return RankerModel(
        boosters,
        document.get("metrics", {}),
        document.get("info", {}),
        last_interaction_at=_read_time(document, "last_interaction_at", path),
        first_interaction_at=_read_time(document, "first_interaction_at", path),
    )


def _time_text(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(UTC).isoformat(timespec="seconds")


def _read_time(document: dict, key: str, path: Path) -> datetime | None:
    """An aware time of the model file, or None (also when absent: older files)."""
    value = document.get(key)
    try:
        when = None if value is None else datetime.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: {key} {value!r} is not a time") from exc
    if when is not None and when.tzinfo is None:
        raise ModelFileError(f"{path}: {key} {value!r} has no offset")
    return when
