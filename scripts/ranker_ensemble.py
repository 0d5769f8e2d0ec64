"""Does an ensemble make the "all visits" booster rank better? VALIDATION window only (the
test window is never read).

    uv run python scripts/ranker_ensemble.py   # about 18 minutes on the busy 2-core machine

The training recipe is scripts/ranker_ablation.py's reference, "3 x 4-week snapshots,
binary" (what `luna eval` trains): the same queries, parameters and early stopping ON THE
VALIDATION WINDOW ITSELF (so every number here is optimistic by the same amount; they are
comparable with each other and with that script, not with the test window's). Every catalog
venue is ranked with the serving cascade (`luna.learning.ranker.cascade_scores`): the
candidates get the trees' scores, every other venue follows in fallback order. Compared:

- the reference (seed 42), and the same recipe with seeds 1..N, one by one (the seed spread),
  and "a typical single seed": person by person, the mean NDCG@10 over seeds 1..M;
- seed-bagging: the raw scores of the seeds' boosters averaged over the same candidates
  (seeds 1..N, 1..N and 42, 1..M);
- the reference (and the bag) blended by rank with the recency-weighted frequency baseline
  (half-life 120 days, what `luna eval` tunes on validation): score = -(rank in the cascade
  + lambda x rank in the baseline), ranks over the whole catalog, 0 = best.

Each row: validation NDCG@10 (all visits) and the paired bootstrap over people
(`luna.learning.metrics.paired_bootstrap`, 1,000 resamples, seed 42) of its difference from
the reference and from recency-weighted frequency.
"""

import argparse
import time
from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
from ranker_ablation import THREADS, dataset, label_counts, queries
from scipy.stats import rankdata

from luna.config import RecoSettings
from luna.learning import baselines
from luna.learning.candidates import candidate_positions
from luna.learning.catalog import build_catalog
from luna.learning.data import load_foursquare
from luna.learning.evaluate import TRAINING_SNAPSHOTS, Scorer, baseline_scorer, evaluate_model
from luna.learning.metrics import paired_bootstrap
from luna.learning.person_view import person_features
from luna.learning.ranker import EARLY_STOPPING, MAX_ROUNDS, PARAMS, cascade_scores, fallback_order
from luna.learning.split import time_split
from luna.learning.windows import Window, build_window

REFERENCE_SEED = 42
BOOTSTRAP_SEED = 42
HALF_LIFE_DAYS = 120.0  # recency-weighted frequency, as `luna eval` tunes it on validation
LAMBDAS = (0.25, 0.5, 1.0)


class AveragedBooster:
    """Boosters whose raw scores are averaged: `predict` as `lgb.Booster.predict`, so it
    slots into `cascade_scores` (the same candidates; the others keep their fallback
    order)."""

    def __init__(self, boosters: list[lgb.Booster]) -> None:
        self.boosters = boosters

    def predict(self, rows: np.ndarray, num_threads: int = 1) -> np.ndarray:
        return np.mean([b.predict(rows, num_threads=num_threads) for b in self.boosters], axis=0)


@dataclass
class Person:
    """What `cascade_scores` needs of one person's full feature matrix, kept so the
    matrix (every catalog venue) is computed once, not once per model."""

    candidates: np.ndarray
    rows: np.ndarray  # the candidates' features
    fallback: np.ndarray  # fallback / (1 + fallback), every venue


def people(window: Window, settings: RecoSettings) -> dict[int, Person]:
    out = {}
    for user in window.people:
        features = person_features(window.context, window.histories[user], window.cutoff, settings)
        candidates = candidate_positions(features)
        fallback = fallback_order(features)
        out[user] = Person(candidates, features[candidates], fallback / (1.0 + fallback))
    return out


def cascade(model, person: Person) -> np.ndarray:
    """`cascade_scores(model, features)[0]` from the kept parts (checked in `main`)."""
    scores = np.empty(len(person.fallback))
    if len(person.candidates):
        predicted = model.predict(person.rows, num_threads=THREADS)
        floor = float(predicted.min())
    else:
        predicted, floor = np.zeros(0), 0.0
    scores[:] = floor - 2.0 + person.fallback
    scores[person.candidates] = predicted
    return scores


def ranks(scores: np.ndarray) -> np.ndarray:
    """0 = best; ties share their mean rank."""
    return rankdata(-scores, method="average") - 1.0


def train(items: list[tuple], val_items: list[tuple], seed: int) -> lgb.Booster:
    """scripts/ranker_ablation.py's reference variant, with `seed`."""
    params = dict(PARAMS, seed=seed, num_threads=THREADS)
    train_set = dataset(items, False)
    return lgb.train(
        params,
        train_set,
        num_boost_round=MAX_ROUNDS * 2,
        valid_sets=[dataset(val_items, False, train_set)],
        callbacks=[lgb.early_stopping(EARLY_STOPPING, first_metric_only=True, verbose=False)],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="bag of seeds 1..N (default 5)")
    parser.add_argument(
        "--big-bag", type=int, default=20, help="a second, larger bag: seeds 1..M (0: none)"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    settings = RecoSettings()
    log = load_foursquare()
    catalog = build_catalog(log)
    split = time_split(log)
    # The back-to-back 4-week snapshots `luna eval` trains on (ranker_ablation's reference).
    snapshots = split.training_snapshots(TRAINING_SNAPSHOTS)
    validation = build_window(log, catalog, split.validation)
    val_items = queries(validation, label_counts(log, catalog, split.validation), settings)
    items = []
    for snapshot in snapshots:
        window = build_window(log, catalog, snapshot)
        items += queries(window, label_counts(log, catalog, snapshot), settings)
    kept = people(validation, settings)
    print(
        f"{len(snapshots)} snapshots, {len(items)} training queries, {len(kept)} validation "
        f"people, built in {time.perf_counter() - started:.0f}s"
    )

    seeds = sorted({REFERENCE_SEED, *range(1, max(args.seeds, args.big_bag) + 1)})
    boosters, trees = {}, {}
    for seed in seeds:
        boosters[seed] = train(items, val_items, seed)
        trees[seed] = boosters[seed].best_iteration
    print(f"{len(seeds)} boosters trained; total {time.perf_counter() - started:.0f}s")

    # The kept parts give exactly what cascade_scores gives from the full feature matrix.
    for user in validation.people[:25]:
        features = person_features(
            validation.context, validation.histories[user], validation.cutoff, settings
        )
        expected = cascade_scores(boosters[REFERENCE_SEED], features, num_threads=THREADS)[0]
        assert np.array_equal(expected, cascade(boosters[REFERENCE_SEED], kept[user]))

    frequency = baselines.RecencyFrequency(HALF_LIFE_DAYS)
    frequency.fit(validation)
    frequency_ranks = {u: ranks(frequency.scores(validation, u)) for u in validation.people}

    def learned(model) -> Scorer:
        return lambda window, user, _variant: cascade(model, kept[user])

    def blended(model, weight: float) -> Scorer:
        def score(window: Window, user: int, _variant: str) -> np.ndarray:
            own = ranks(cascade(model, kept[user]))
            return -(own + weight * frequency_ranks[user])

        return score

    def per_person(score: Scorer) -> tuple[float, np.ndarray]:
        values: dict[str, list[float]] = {}
        result = evaluate_model(validation, score, len(catalog), ("all",), per_person=values)
        return result["all"]["ndcg@10"], np.asarray(values["all"])

    base_ndcg, base = per_person(baseline_scorer(frequency))
    results = {
        f"reference: seed {REFERENCE_SEED} ({trees[REFERENCE_SEED]} trees)": per_person(
            learned(boosters[REFERENCE_SEED])
        )
    }
    singles = {s: per_person(learned(boosters[s])) for s in seeds if s != REFERENCE_SEED}
    for seed in range(1, args.seeds + 1):
        results[f"single, seed {seed} ({trees[seed]} trees)"] = singles[seed]
    # What a seed drawn at random gives, person by person: the yardstick of an ensemble's gain
    # (the reference's seed is one draw, and may be a lucky or an unlucky one).
    typical = np.mean([values for _, values in singles.values()], axis=0)
    typical_name = f"a typical single seed: per-person mean over seeds 1..{len(singles)}"
    results[typical_name] = (float(typical.mean()), typical)
    bag = AveragedBooster([boosters[s] for s in range(1, args.seeds + 1)])
    bags = {f"bag of seeds 1..{args.seeds}, raw scores averaged": bag}
    bags[f"bag of seeds 1..{args.seeds} and {REFERENCE_SEED}"] = AveragedBooster(
        [*bag.boosters, boosters[REFERENCE_SEED]]
    )
    if args.big_bag > args.seeds:
        big = AveragedBooster([boosters[s] for s in range(1, args.big_bag + 1)])
        bags[f"bag of seeds 1..{args.big_bag}"] = big
    for name, model in bags.items():
        results[name] = per_person(learned(model))
    for weight in LAMBDAS:
        name = f"reference + {weight:g} x rw-frequency rank"
        results[name] = per_person(blended(boosters[REFERENCE_SEED], weight))
    for weight in LAMBDAS:
        results[f"bag 1..{args.seeds} + {weight:g} x rw-frequency rank"] = per_person(
            blended(bag, weight)
        )
    reference = next(iter(results.values()))[1]

    def interval(a: np.ndarray, b: np.ndarray) -> str:
        mean, low, high = paired_bootstrap(a, b, BOOTSTRAP_SEED)
        return f"{mean:+.4f} [{low:+.4f}, {high:+.4f}]"

    print(
        f"\nvalidation, all visits, {len(base)} people; paired bootstrap over people, "
        f"1,000 resamples, seed {BOOTSTRAP_SEED}\n"
    )
    print(
        "| variant | validation NDCG@10 | minus reference [95% interval] "
        "| minus rw-frequency [95% interval] |"
    )
    print("|---|---:|---|---|")
    print(
        f"| recency-weighted frequency (half-life {HALF_LIFE_DAYS:g} days) | {base_ndcg:.4f} "
        f"| {interval(base, reference)} | 0 |"
    )
    for name, (ndcg, values) in results.items():
        print(f"| {name} | {ndcg:.4f} | {interval(values, reference)} | {interval(values, base)} |")
    spread = np.array([ndcg for ndcg, _ in singles.values()])
    print(
        f"\nsingle seeds 1..{len(singles)}: mean {spread.mean():.4f}, sd "
        f"{spread.std(ddof=1):.4f}, range {spread.min():.4f} .. {spread.max():.4f}; "
        f"trees {[trees[s] for s in singles]}"
    )
    for name in bags:
        print(f"{name} minus a typical single seed: {interval(results[name][1], typical)}")
    print(f"total {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
