"""What moves the learned ranker on the VALIDATION window (the test window is never read).

    uv run python scripts/ranker_ablation.py            # about 6 minutes on 2 cores

Each variant trains the "all visits" booster on training snapshots whose labels end at or
before the validation window, stops early on the validation window, and is scored there with
the serving cascade (`luna.learning.ranker.cascade_scores`, every catalog venue ranked: the
reference of what `luna.learning.serving` computes from the candidates' features only).
Variants: more and overlapping snapshots (weekly / fortnightly cutoffs), graded labels
(visits in the label window), LightGBM parameters, a pointwise objective. docs/evaluation.md
quotes its output.
"""

import os
import time
from collections import Counter

import lightgbm as lgb
import numpy as np

from luna.config import RecoSettings
from luna.learning import baselines
from luna.learning.candidates import candidate_positions
from luna.learning.catalog import build_catalog
from luna.learning.data import WEEK, load_foursquare
from luna.learning.evaluate import baseline_scorer, evaluate_model
from luna.learning.features import FEATURE_NAMES
from luna.learning.person_view import person_features
from luna.learning.ranker import EARLY_STOPPING, MAX_ROUNDS, PARAMS, cascade_scores
from luna.learning.split import Snapshot, time_split
from luna.learning.windows import Window, build_window

SEED = 42
THREADS = min(2, os.cpu_count() or 1)
GRADED_GAIN = [0, 1, 3, 7]


def queries(window: Window, counts: Counter, settings: RecoSettings) -> list[tuple]:
    """(candidate features, visits in the label window) per person."""
    out = []
    for user in window.people:
        features = person_features(window.context, window.histories[user], window.cutoff, settings)
        candidates = candidate_positions(features)
        visits = np.array([counts[(user, c)] for c in candidates.tolist()], np.float32)
        if 0 < (visits > 0).sum() < len(visits):
            out.append((features[candidates], visits))
    return out


def label_counts(log, catalog, snapshot: Snapshot) -> Counter:
    labels = log.between(snapshot.cutoff, snapshot.end)
    position = catalog.position[labels.venue]
    keep = position >= 0
    return Counter(zip(labels.user[keep].tolist(), position[keep].tolist(), strict=True))


def dataset(items: list[tuple], graded: bool, reference=None) -> lgb.Dataset:
    x = np.concatenate([f for f, _ in items])
    y = np.concatenate([np.minimum(v, 3) if graded else (v > 0) for _, v in items])
    return lgb.Dataset(
        x,
        y.astype(np.float32),
        group=[len(v) for _, v in items],
        feature_name=list(FEATURE_NAMES),
        reference=reference,
        free_raw_data=False,
    )


def main() -> None:
    started = time.perf_counter()
    settings = RecoSettings()
    log = load_foursquare()
    catalog = build_catalog(log)
    split = time_split(log)
    length = split.test_start - split.val_start
    # Weekly cutoffs, labels ending at or before the validation window; k % 4 == 0 are the
    # back-to-back 4-week snapshots `luna eval` trains on (3 of them).
    snapshots = {}
    k = 0
    while (cutoff := split.val_start - length - k * WEEK) - split.start >= 4 * WEEK:
        snapshots[k] = Snapshot(cutoff, cutoff + length)
        k += 1
    validation = build_window(log, catalog, split.validation)
    val_items = queries(validation, label_counts(log, catalog, split.validation), settings)
    per_snapshot = {}
    for k, snapshot in snapshots.items():
        window = build_window(log, catalog, snapshot)
        per_snapshot[k] = queries(window, label_counts(log, catalog, snapshot), settings)
    print(f"{len(snapshots)} weekly snapshots built in {time.perf_counter() - started:.0f}s")

    heuristic = evaluate_model(
        validation, baseline_scorer(baselines.Heuristic(settings)), len(catalog), ("all",)
    )["all"]["ndcg@10"]
    print(f"heuristic (SPEC §3), validation NDCG@10 all visits: {heuristic:.4f}")
    back_to_back = [0, 4, 8]
    fortnightly = sorted(k for k in snapshots if k % 2 == 0)
    every_week = sorted(snapshots)
    variants = [
        ("3 x 4-week snapshots, binary (luna eval)", back_to_back, False, {}),
        (f"{len(fortnightly)} fortnightly overlapping snapshots", fortnightly, False, {}),
        (f"{len(every_week)} weekly overlapping snapshots", every_week, False, {}),
        ("graded labels min(visits, 3), gain 0/1/3/7", back_to_back, True, {}),
        (f"graded labels, {len(every_week)} weekly snapshots", every_week, True, {}),
        ("num_leaves 7", back_to_back, False, {"num_leaves": 7}),
        ("num_leaves 15, min_data_in_leaf 200", back_to_back, False,
         {"num_leaves": 15, "min_data_in_leaf": 200}),
        ("num_leaves 63, min_data_in_leaf 20", back_to_back, False,
         {"num_leaves": 63, "min_data_in_leaf": 20}),
        ("learning_rate 0.02", back_to_back, False, {"learning_rate": 0.02}),
        ("lambdarank_truncation_level 10", back_to_back, False,
         {"lambdarank_truncation_level": 10}),
        ("lambdarank_truncation_level 40", back_to_back, False,
         {"lambdarank_truncation_level": 40}),
        ("objective rank_xendcg", back_to_back, False, {"objective": "rank_xendcg"}),
        ("pointwise binary, num_leaves 15, min_data 300, l2 10", back_to_back, False,
         {"objective": "binary", "metric": "binary_logloss", "num_leaves": 15,
          "min_data_in_leaf": 300, "lambda_l2": 10.0, "learning_rate": 0.03}),
    ]  # fmt: skip
    print("| variant | training queries | trees | validation NDCG@10 | x heuristic |")
    print("|---|---:|---:|---:|---:|")
    for name, chosen, graded, extra in variants:
        items = [q for k in chosen for q in per_snapshot[k]]
        params = dict(PARAMS, seed=SEED, num_threads=THREADS)
        if graded:
            params["label_gain"] = GRADED_GAIN
        params.update(extra)
        train_set = dataset(items, graded)
        booster = lgb.train(
            params,
            train_set,
            num_boost_round=MAX_ROUNDS * 2,
            valid_sets=[dataset(val_items, False, train_set)],
            callbacks=[lgb.early_stopping(EARLY_STOPPING, first_metric_only=True, verbose=False)],
        )
        trees = booster.best_iteration

        def score(window: Window, user: int, _variant: str, booster=booster) -> np.ndarray:
            features = person_features(
                window.context, window.histories[user], window.cutoff, settings
            )
            return cascade_scores(booster, features, num_threads=THREADS)[0]

        ndcg = evaluate_model(validation, score, len(catalog), ("all",))["all"]["ndcg@10"]
        print(f"| {name} | {len(items)} | {trees} | {ndcg:.4f} | {ndcg / heuristic:.2f} |")
    # Who can be helped at all: people whose validation visits are all new to them.
    only_new = sum(
        1 for u in validation.people if not validation.truth[u] - validation.new_truth(u)
    )
    print(
        f"{only_new} of {len(validation.people)} validation people visited only venues new to "
        f"them; total {time.perf_counter() - started:.0f}s"
    )


if __name__ == "__main__":
    main()
