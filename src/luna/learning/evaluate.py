"""`luna eval`: the offline evaluation, from the check-in file to a table, a JSON, a plot.

Protocol (docs/evaluation.md): catalog of going-out venues; time split (test = last 4
weeks, validation = the 4 before, training snapshots = 4-week windows before that); homes
estimated from each window's own history; every catalog venue ranked for every test person;
metrics at 10 and 20 for all future visits and for venues new to the person; and the
next-visit task (`luna.learning.next_visit`: each sampled test check-in ranked at its time and
place, Acc@k and MRR@10). Fixed seed: the same command prints the same numbers.
"""

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from luna.config import RecoSettings
from luna.learning import baselines, moments, next_visit
from luna.learning.catalog import build_catalog
from luna.learning.data import DEFAULT_CHECKINS, load_foursquare
from luna.learning.docs_page import check_page, update_page
from luna.learning.metrics import (
    BOOTSTRAP_RESAMPLES,
    KS,
    MetricAccumulator,
    bootstrap_mean,
    ndcg_at,
    paired_bootstrap,
    top_k,
)
from luna.learning.progress import step_progress
from luna.learning.ranker import RankerModel, train_ranker, train_ranker_steps
from luna.learning.report import (
    LEARNED,
    VARIANT_TITLES,
    VARIANTS,
    markdown_summary,
    markdown_table,
    plot,
    rich_table,
    summary_lines,
)
from luna.learning.serving import LearnedVenueRanker
from luna.learning.split import time_split
from luna.learning.windows import Window, build_window

TRAINING_SNAPSHOTS = 3
# The blocks of docs/evaluation.md that `luna eval --docs` writes (luna.learning.docs_page).
DOCS_BLOCKS = ("results", "next-visit")
MODEL_FILE = "venue_ranker.json"


@dataclass
class EvalConfig:
    data: Path = DEFAULT_CHECKINS
    out: Path = Path("eval-out")
    seed: int = 42
    test_weeks: int = 4
    val_weeks: int = 4
    training_snapshots: int = TRAINING_SNAPSHOTS
    max_users: int | None = None  # a small slice (tests)
    next_visit_sample: int = moments.SAMPLE  # test check-ins of the next-visit task
    docs: Path | None = None  # a page whose `luna eval` blocks get the tables (docs_page)


Scorer = Callable[[Window, int, str], np.ndarray]


def evaluate_model(
    window: Window,
    score: Scorer,
    catalog_size: int,
    variants: Iterable[str] = VARIANTS,
    per_person: dict[str, list[float]] | None = None,
) -> dict[str, dict[str, float]]:
    """Ranks every catalog venue for every person of the window; metrics per variant.
    `per_person`, if given, receives each variant's NDCG@10 per person (in `window.people`
    order, people without truth in the variant left out: the same people for every model)."""
    results = {}
    depth = max(KS)
    for variant in variants:
        acc = MetricAccumulator(catalog_size)
        ndcg: list[float] = []
        for user in window.people:
            if variant == "all":
                truth = window.truth[user]
                ranked = top_k(score(window, user, "all"), depth)
            else:
                truth = window.new_truth(user)
                if not truth:
                    continue
                ranked = top_k(score(window, user, "new"), depth, window.known[user])
            acc.add(ranked, truth)
            ndcg.append(ndcg_at(ranked.tolist(), truth, 10))
        results[variant] = acc.result()
        if per_person is not None:
            per_person[variant] = ndcg
    return results


def baseline_scorer(model: baselines.Model) -> Scorer:
    return lambda window, user, _variant: model.scores(window, user)


@dataclass
class Tuned:
    """A baseline family tuned on validation NDCG@10, separately per variant (the learned
    ranker, too, has one model per variant)."""

    label: str
    best: dict[str, Any]  # variant -> the chosen candidate
    tuning: list[dict]

    @property
    def name(self) -> str:
        chosen = {v: self.best[v].describe() for v in VARIANTS}
        if chosen["all"] == chosen["new"]:
            return f"{self.label} ({chosen['all']})"
        return f"{self.label} (all: {chosen['all']}; new: {chosen['new']})"

    def fit(self, window: Window) -> None:
        for model in {id(m): m for m in self.best.values()}.values():
            model.fit(window)

    def scorer(self) -> Scorer:
        return lambda window, user, variant: self.best[variant].scores(window, user)


def tune(label: str, candidates: list, validation: Window, catalog_size: int) -> Tuned:
    """Fits every candidate on the validation window's history and keeps, per variant, the
    one with the best validation NDCG@10 (ties: the first)."""
    best: dict[str, Any] = {}
    score = {v: -1.0 for v in VARIANTS}
    tuning = []
    for candidate in candidates:
        candidate.fit(validation)
        result = evaluate_model(validation, baseline_scorer(candidate), catalog_size)
        tuning.append(
            {
                "params": candidate.describe(),
                **{f"val_ndcg@10_{v}": result[v]["ndcg@10"] for v in VARIANTS},
            }
        )
        for variant in VARIANTS:
            if result[variant]["ndcg@10"] > score[variant]:
                best[variant], score[variant] = candidate, result[variant]["ndcg@10"]
    # Where the choice for "all" does as well on "new" (e.g. a parameter that only orders the
    # person's own venues, which "new" leaves out), keep one model for both.
    chosen = tuning[[id(c) for c in candidates].index(id(best["all"]))]
    if chosen["val_ndcg@10_new"] >= score["new"]:
        best["new"] = best["all"]
    return Tuned(label, best, tuning)


def repeat_explore(window: Window) -> dict[str, float]:
    """How much of the window's truth a person had visited before (repeat) or not (explore):
    by check-ins, by distinct (person, venue) pairs, and people who only explored."""
    repeat_checkins = sum(
        bool(np.isin(v, window.known[u]))
        for u, v in zip(window.label_user.tolist(), window.label_venue.tolist(), strict=True)
    )
    pairs = sum(len(window.truth[u]) for u in window.people)
    new_pairs = sum(len(window.new_truth(u)) for u in window.people)
    only_new = sum(1 for u in window.people if window.new_truth(u) == window.truth[u])
    checkins = len(window.label_user)
    return {
        "checkins": checkins,
        "repeat_checkin_share": repeat_checkins / checkins if checkins else 0.0,
        "pairs": pairs,
        "repeat_pair_share": (pairs - new_pairs) / pairs if pairs else 0.0,
        "people": len(window.people),
        "people_only_new": only_new,
    }


def gains_over_best(
    results: dict, per_person: dict[str, dict[str, list[float]]], seed: int
) -> dict[str, dict]:
    """Per variant: the learned ranker's NDCG@10 minus the best baseline's (best on the test
    window itself, which favours the baseline), with a 95% paired bootstrap interval over
    people (BOOTSTRAP_RESAMPLES resamples, seeded)."""
    gains = {}
    for variant in VARIANTS:
        best = max(
            (n for n in results if n != LEARNED), key=lambda n: results[n][variant]["ndcg@10"]
        )
        mean, low, high = paired_bootstrap(
            per_person[LEARNED][variant], per_person[best][variant], seed
        )
        gains[variant] = {
            "best_baseline": best,
            "learned_ndcg@10": results[LEARNED][variant]["ndcg@10"],
            "baseline_ndcg@10": results[best][variant]["ndcg@10"],
            "gain": mean,
            "ci95": [low, high],
            "resamples": BOOTSTRAP_RESAMPLES,
        }
    return gains


def intervals(per_person: dict[str, dict[str, list[float]]], seed: int) -> dict:
    """Each model's mean NDCG@10 per variant with its 95% bootstrap interval over people."""
    return {
        name: {v: list(bootstrap_mean(values[v], seed)) for v in VARIANTS}
        for name, values in per_person.items()
    }


def run(config: EvalConfig, console: Console) -> dict:
    """The whole evaluation; writes evaluation.{json,md,png} and the model file to `out`
    (and the tables into `docs`' blocks, checked first)."""
    if config.docs is not None:
        check_page(config.docs, DOCS_BLOCKS)
    np.random.seed(config.seed)
    settings = RecoSettings()
    threads = min(2, os.cpu_count() or 1)
    progress = step_progress(console)
    with progress:
        step = progress.add_task("reading check-ins", total=None)
        log = load_foursquare(config.data, max_users=config.max_users)
        catalog = build_catalog(log)
        split = time_split(log, config.test_weeks, config.val_weeks)
        snapshots = split.training_snapshots(config.training_snapshots)
        progress.update(step, total=1, completed=1)

        step = progress.add_task("building windows", total=len(snapshots) + 2)
        training = []
        for snapshot in snapshots:
            training.append(build_window(log, catalog, snapshot, seed=config.seed))
            progress.advance(step)
        sample = config.next_visit_sample  # the next-visit task's check-ins per window
        validation = build_window(log, catalog, split.validation, seed=config.seed, moments=sample)
        progress.advance(step)
        test = build_window(log, catalog, split.test, seed=config.seed, moments=sample)
        progress.advance(step)

        with _blas_threads(1):  # implicit's ALS runs its own threads
            step = progress.add_task("tuning ALS on validation", total=1)
            als = tune("ALS", baselines.als_candidates(config.seed), validation, len(catalog))
            progress.advance(step)

        families = (
            ("recency-weighted frequency", baselines.recency_candidates()),
            ("item-kNN + own visits", baselines.item_knn_own_candidates()),
            ("TIFU-KNN", baselines.tifu_candidates()),
        )
        step = progress.add_task("tuning the other baselines on validation", total=len(families))
        tuned = {}
        for label, family in families:
            tuned[label] = tune(label, family, validation, len(catalog))
            progress.advance(step)

        step = progress.add_task(
            "training the ranker", total=train_ranker_steps(training, validation)
        )
        boosters, rounds = train_ranker(
            training, validation, settings, config.seed, threads, lambda: progress.advance(step)
        )
        ranker = LearnedVenueRanker(RankerModel(boosters), settings)

        models: dict[str, Scorer] = {
            "heuristic (SPEC §3)": baseline_scorer(baselines.Heuristic(settings)),
            "popularity": baseline_scorer(baselines.Popularity()),
            "nearest to home": baseline_scorer(baselines.Nearest()),
            "item-kNN": baseline_scorer(baselines.ItemKNN()),
            als.name: als.scorer(),
            "personal frequency": baseline_scorer(baselines.PersonalFrequency()),
        }
        for family in tuned.values():
            family.fit(test)
            models[family.name] = family.scorer()
        models |= {
            LEARNED: lambda window, user, variant: ranker.score_window(window, user, variant),
        }
        step = progress.add_task("ranking every venue for test people", total=len(models))
        with _blas_threads(1):
            als.fit(test)
        results, per_person = {}, {}
        for name, scorer in models.items():
            per_person[name] = {}
            results[name] = evaluate_model(test, scorer, len(catalog), per_person=per_person[name])
            progress.advance(step)
        gains = gains_over_best(results, per_person, config.seed)
        split_truth = repeat_explore(test)
        model_intervals = intervals(per_person, config.seed)

        half_life = tuned["recency-weighted frequency"].best["all"].half_life_days
        contextual = next_visit.run(validation, test, ranker, half_life, settings, progress)

    report = {
        "seed": config.seed,
        "data": str(config.data),
        "check_ins": len(log),
        "people": log.n_users,
        "catalog_venues": len(catalog),
        "catalog_categories": len(catalog.category_names),
        "split": split.describe(),
        "training_snapshots": len(training),
        "test_people": {v: results[LEARNED][v]["people"] for v in VARIANTS},
        "als_tuning": als.tuning,
        "baseline_tuning": {label: family.tuning for label, family in tuned.items()},
        "ranker_rounds": rounds,
        "results": results,
        "ndcg@10_ci95": model_intervals,
        "test_truth": split_truth,
        "learned_gain_over_best_baseline": gains,
        "goal": goal_check(results),
        "next_visit": contextual,
    }
    console.print(rich_table(results))
    for line in summary_lines(split_truth, gains):
        console.print(line)
    for line in report["goal"]["summary"]:
        console.print(line)
    console.print(next_visit.rich_table(contextual))
    console.print(contextual["goal"]["summary"])
    config.out.mkdir(parents=True, exist_ok=True)
    (config.out / "evaluation.json").write_text(json.dumps(report, indent=2) + "\n")
    blocks = dict(
        zip(
            DOCS_BLOCKS,
            (
                markdown_table(results) + "\n" + markdown_summary(split_truth, gains),
                next_visit.markdown(contextual),
            ),
            strict=True,
        )
    )
    (config.out / "evaluation.md").write_text("\n\n".join(blocks.values()) + "\n")
    plots = [config.out / "evaluation.png", config.out / "next_visit.png"]
    plot(model_intervals, plots[0])
    next_visit.plot(contextual, plots[1])
    if config.docs is not None:
        update_page(config.docs, blocks, plots)
    model = RankerModel(
        boosters,
        metrics={"test": results[LEARNED], "heuristic_test": results["heuristic (SPEC §3)"]},
        info={"trained_on": str(config.data), "rounds": rounds, "seed": config.seed},
    )
    model.save(config.out / MODEL_FILE)
    return report


def goal_check(results: dict) -> dict:
    """NDCG@10 of the learned ranker ≥ 1.5 x the heuristic's and above every baseline."""
    summary, met = [], True
    heuristic = results["heuristic (SPEC §3)"]
    for variant in VARIANTS:
        learned = results[LEARNED][variant]["ndcg@10"]
        base = heuristic[variant]["ndcg@10"]
        best_name, best = max(
            ((n, r[variant]["ndcg@10"]) for n, r in results.items() if n != LEARNED),
            key=lambda item: item[1],
        )
        ratio = learned / base if base else float("inf")
        ok = bool(ratio >= 1.5 and learned > best)
        met &= ok
        summary.append(
            f"{VARIANT_TITLES[variant]}: NDCG@10 {learned:.4f} = {ratio:.2f}x the heuristic "
            f"({base:.4f}); best baseline {best_name} {best:.4f} -> "
            + ("goal met" if ok else "goal NOT met")
        )
    return {"met": met, "summary": summary}


def _blas_threads(count: int) -> object:
    """BLAS on `count` threads while implicit's own threads run (its advice)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=count, user_api="blas")
