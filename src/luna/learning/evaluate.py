"""`luna eval`: the offline evaluation, from the check-in file to a table, a JSON, a plot.

Protocol (docs/evaluation.md): catalog of going-out venues; time split (test = last 4
weeks, validation = the 4 before, training snapshots = 4-week windows before that); homes
estimated from each window's own history; every catalog venue ranked for every test person;
metrics at 10 and 20 for all future visits and for venues new to the person. Fixed seed:
the same command prints the same numbers.
"""

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from luna.config import RecoSettings
from luna.learning import baselines
from luna.learning.catalog import build_catalog
from luna.learning.data import DEFAULT_CHECKINS, CheckinLog, load_foursquare
from luna.learning.metrics import KS, MetricAccumulator, top_k
from luna.learning.ranker import RankerModel, train_ranker
from luna.learning.serving import LearnedVenueRanker
from luna.learning.split import TimeSplit, time_split
from luna.learning.windows import Window, build_window

VARIANTS = ("all", "new")
VARIANT_TITLES = {"all": "all future visits", "new": "venues new to the person"}
LEARNED = "learned ranker (LambdaRank)"
TRAINING_SNAPSHOTS = 3
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


Scorer = Callable[[Window, int, str], np.ndarray]


def evaluate_model(
    window: Window, score: Scorer, catalog_size: int, variants: Iterable[str] = VARIANTS
) -> dict[str, dict[str, float]]:
    """Ranks every catalog venue for every person of the window; metrics per variant."""
    results = {}
    depth = max(KS)
    for variant in variants:
        acc = MetricAccumulator(catalog_size)
        for user in window.people:
            if variant == "all":
                acc.add(top_k(score(window, user, "all"), depth), window.truth[user])
            else:
                truth = window.new_truth(user)
                if truth:
                    known = window.known[user]
                    acc.add(top_k(score(window, user, "new"), depth, known), truth)
        results[variant] = acc.result()
    return results


def baseline_scorer(model: baselines.Model) -> Scorer:
    return lambda window, user, _variant: model.scores(window, user)


def run(config: EvalConfig, console: Console) -> dict:
    """The whole evaluation; writes evaluation.{json,md,png} and the model file to `out`."""
    np.random.seed(config.seed)
    settings = RecoSettings()
    threads = min(2, os.cpu_count() or 1)
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
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
            training.append(build_window(log, catalog, snapshot))
            progress.advance(step)
        validation = build_window(log, catalog, split.validation)
        progress.advance(step)
        test = build_window(log, catalog, split.test)
        progress.advance(step)

        with _blas_threads(1):  # implicit's ALS runs its own threads
            step = progress.add_task("tuning ALS on validation", total=len(baselines.ALS_GRID))
            candidates = baselines.als_candidates(config.seed)
            progress.update(step, total=len(candidates))
            best_als, best_ndcg, tuning = None, -1.0, []
            for candidate in candidates:
                candidate.fit(validation)
                result = evaluate_model(
                    validation, baseline_scorer(candidate), len(catalog), ("all",)
                )
                ndcg = result["all"]["ndcg@10"]
                tuning.append({"params": candidate.describe(), "val_ndcg@10": ndcg})
                if ndcg > best_ndcg:
                    best_als, best_ndcg = candidate, ndcg
                progress.advance(step)
        assert best_als is not None

        step = progress.add_task("training the ranker", total=1)
        boosters, rounds = train_ranker(training, validation, settings, config.seed, threads)
        progress.advance(step)
        ranker = LearnedVenueRanker(RankerModel(boosters), settings)

        models: dict[str, Scorer] = {
            "heuristic (SPEC §3)": baseline_scorer(baselines.Heuristic(settings)),
            "popularity": baseline_scorer(baselines.Popularity()),
            "nearest to home": baseline_scorer(baselines.Nearest()),
            "item-kNN": baseline_scorer(baselines.ItemKNN()),
            f"ALS ({best_als.describe()})": baseline_scorer(best_als),
            LEARNED: lambda window, user, variant: ranker.score_window(window, user, variant),
        }
        step = progress.add_task("ranking every venue for test people", total=len(models))
        with _blas_threads(1):
            best_als.fit(test)
        results = {}
        for name, scorer in models.items():
            results[name] = evaluate_model(test, scorer, len(catalog))
            progress.advance(step)

    report = {
        "seed": config.seed,
        "data": str(config.data),
        "check_ins": len(log),
        "people": log.n_users,
        "catalog_venues": len(catalog),
        "catalog_categories": len(catalog.category_names),
        "split": _describe_split(split),
        "training_snapshots": len(training),
        "test_people": {v: results[LEARNED][v]["people"] for v in VARIANTS},
        "als_tuning": tuning,
        "ranker_rounds": rounds,
        "results": results,
        "goal": goal_check(results),
    }
    console.print(rich_table(results))
    for line in report["goal"]["summary"]:
        console.print(line)
    config.out.mkdir(parents=True, exist_ok=True)
    (config.out / "evaluation.json").write_text(json.dumps(report, indent=2) + "\n")
    (config.out / "evaluation.md").write_text(markdown_table(results) + "\n")
    plot(results, config.out / "evaluation.png")
    model = RankerModel(
        boosters,
        metrics={"test": results[LEARNED], "heuristic_test": results["heuristic (SPEC §3)"]},
        info={"trained_on": str(config.data), "rounds": rounds, "seed": config.seed},
    )
    model.save(config.out / MODEL_FILE)
    return report


def _describe_split(split: TimeSplit) -> dict[str, str]:
    from datetime import UTC, datetime

    def day(seconds: int) -> str:
        return datetime.fromtimestamp(seconds, UTC).date().isoformat()

    return {
        "train": f"{day(split.start)} .. {day(split.val_start)}",
        "validation": f"{day(split.val_start)} .. {day(split.test_start)}",
        "test": f"{day(split.test_start)} .. {day(split.end)}",
    }


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


COLUMNS = ("recall", "ndcg", "hit", "coverage")


def _headers() -> list[str]:
    return [f"{m}@{k}" for k in KS for m in COLUMNS]


def markdown_table(results: dict) -> str:
    parts = []
    for variant in VARIANTS:
        people = int(next(iter(results.values()))[variant]["people"])
        parts.append(f"**{VARIANT_TITLES[variant]}** ({people} people)\n")
        parts.append("| model | " + " | ".join(_headers()) + " |")
        parts.append("|---|" + "---:|" * len(_headers()))
        for name, result in results.items():
            cells = [f"{result[variant][h]:.4f}" for h in _headers()]
            label = f"**{name}**" if name == LEARNED else name
            parts.append(f"| {label} | " + " | ".join(cells) + " |")
        parts.append("")
    return "\n".join(parts)


def rich_table(results: dict) -> Table:
    table = Table(title="Venue recommendation, test window (every catalog venue ranked)")
    table.add_column("variant")
    table.add_column("model")
    for header in _headers():
        table.add_column(header, justify="right")
    for variant in VARIANTS:
        for name, result in results.items():
            style = "bold green" if name == LEARNED else None
            cells = [f"{result[variant][h]:.4f}" for h in _headers()]
            table.add_row(variant, name, *cells, style=style)
        table.add_section()
    return table


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results)
    metrics = ("ndcg@10", "recall@10", "ndcg@20", "recall@20")
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), sharey=False)
    width = 0.8 / len(names)
    for ax, variant in zip(axes, VARIANTS, strict=True):
        x = np.arange(len(metrics))
        for i, name in enumerate(names):
            values = [results[name][variant][m] for m in metrics]
            ax.bar(x + i * width, values, width, label=name)
        ax.set_xticks(x + width * (len(names) - 1) / 2, metrics)
        ax.set_title(VARIANT_TITLES[variant])
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("mean over test people")
    axes[1].legend(fontsize=8, loc="upper left")
    fig.suptitle("Foursquare NYC, last 4 weeks: every catalog venue ranked")
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)


def _blas_threads(count: int) -> object:
    """BLAS on `count` threads while implicit's own threads run (its advice)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=count, user_api="blas")


def train_from_log(
    log: CheckinLog,
    homes: np.ndarray | None,
    seed: int,
    console: Console,
    training_snapshots: int = TRAINING_SNAPSHOTS,
) -> RankerModel:
    """`luna train`: every venue of the log is in the catalog; the last 4 weeks measure the
    model against the heuristic (stored in the model file), the 4 before stop the trees
    early, the earlier 4-week windows are what the trees learn from."""
    settings = RecoSettings()
    catalog = build_catalog(log, categories=frozenset(log.venue_category.tolist()))
    split = time_split(log)
    snapshots = split.training_snapshots(training_snapshots)
    if not snapshots:
        raise ValueError("not enough history: training needs more than 8 weeks of interactions")
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        step = progress.add_task("building windows", total=len(snapshots) + 2)
        training = []
        for snapshot in snapshots:
            training.append(build_window(log, catalog, snapshot, homes))
            progress.advance(step)
        validation = build_window(log, catalog, split.validation, homes)
        progress.advance(step)
        test = build_window(log, catalog, split.test, homes)
        progress.advance(step)
        step = progress.add_task("training the ranker", total=2)
        threads = min(2, os.cpu_count() or 1)
        boosters, rounds = train_ranker(training, validation, settings, seed, threads)
        progress.advance(step)
        ranker = LearnedVenueRanker(RankerModel(boosters), settings)
        heuristic = baselines.Heuristic(settings)
        metrics = {
            "learned": evaluate_model(
                test, lambda w, u, v: ranker.score_window(w, u, v), len(catalog)
            ),
            "heuristic": evaluate_model(test, baseline_scorer(heuristic), len(catalog)),
        }
        progress.advance(step)
    return RankerModel(
        boosters,
        metrics=metrics,
        info={
            "trained_on": "database",
            "interactions": len(log),
            "venues": len(catalog),
            "split": _describe_split(split),
            "rounds": rounds,
            "seed": seed,
        },
    )
