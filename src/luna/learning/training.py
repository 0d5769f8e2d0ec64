"""`luna train`: the learned ranker from what Luna's database holds (as a check-in log), with
its figures on the last 4 weeks, refitted on everything for serving."""

import os

import numpy as np
from rich.console import Console

from luna.config import RecoSettings
from luna.learning import baselines
from luna.learning.catalog import build_catalog
from luna.learning.data import CheckinLog
from luna.learning.evaluate import TRAINING_SNAPSHOTS, baseline_scorer, evaluate_model
from luna.learning.progress import step_progress
from luna.learning.ranker import QueryCache, RankerModel, train_ranker, train_ranker_steps
from luna.learning.serving import LearnedVenueRanker
from luna.learning.split import time_split
from luna.learning.windows import build_window


def train_from_log(
    log: CheckinLog,
    homes: np.ndarray | None,
    seed: int,
    console: Console,
    training_snapshots: int = TRAINING_SNAPSHOTS,
) -> RankerModel:
    """`luna train`: every venue of the log is in the catalog; the last 4 weeks measure the
    model against the heuristic (stored in the model file), the 4 before stop the trees
    early, the earlier 4-week windows are what the trees learn from. Then the boosters are
    refitted, with the rounds found, on every window up to the end: the model served learns
    from the latest weeks too (what was measured is the same recipe, 4 weeks earlier)."""
    settings = RecoSettings()
    catalog = build_catalog(log, categories=frozenset(log.venue_category.tolist()))
    split = time_split(log)
    snapshots = split.training_snapshots(training_snapshots)
    if not snapshots:
        raise ValueError("not enough history: training needs more than 8 weeks of interactions")
    with step_progress(console) as progress:
        step = progress.add_task("building windows", total=len(snapshots) + 2)
        training = []
        for snapshot in snapshots:
            training.append(build_window(log, catalog, snapshot, homes, seed=seed))
            progress.advance(step)
        validation = build_window(log, catalog, split.validation, homes, seed=seed)
        progress.advance(step)
        test = build_window(log, catalog, split.test, homes, seed=seed)
        progress.advance(step)
        step = progress.add_task(
            "training the ranker", total=train_ranker_steps(training, validation)
        )
        threads = min(2, os.cpu_count() or 1)
        queries: QueryCache = {}  # the refit below reuses the windows' queries
        boosters, rounds = train_ranker(
            training,
            validation,
            settings,
            seed,
            threads,
            lambda: progress.advance(step),
            cache=queries,
        )
        step = progress.add_task("measuring on the last 4 weeks", total=1)
        ranker = LearnedVenueRanker(RankerModel(boosters), settings)
        heuristic = baselines.Heuristic(settings)
        metrics = {
            "learned": evaluate_model(
                test, lambda w, u, v: ranker.score_window(w, u, v), len(catalog)
            ),
            "heuristic": evaluate_model(test, baseline_scorer(heuristic), len(catalog)),
        }
        progress.advance(step)
        latest = [*training, validation, test]
        step = progress.add_task(
            "refitting on every window", total=train_ranker_steps(latest, None)
        )
        boosters, _ = train_ranker(
            latest,
            None,
            settings,
            seed,
            threads,
            lambda: progress.advance(step),
            rounds,
            cache=queries,
        )
    return RankerModel(
        boosters,
        metrics=metrics,
        info={
            "trained_on": "database",
            "refit": "on every window up to the end, after the metrics (the last 4 weeks)",
            "interactions": len(log),
            "venues": len(catalog),
            "split": split.describe(),
            "rounds": rounds,
            "seed": seed,
        },
    )
