"""`luna eval --vibes`: the vibe learner measured on the real check-ins (issue 20, point 3).

**Recovery.** The categories of a random 30% of the catalog's venues (seeded) are hidden
from the learner; every venue's profile is learned from all check-ins (when people go, how
often they come back, who else they visit; the check-ins have no dwell and no party sizes).
For each vibe, the hidden venues are ranked by their learned score, and the truth is whether
the venue's real category defines the vibe (prior >= DEFINING_PRIOR in
`luna.vibes.vocabulary`, written before this ran). ROC AUC per vibe (rank-based, ties
averaged), and its mean over vibes; goal >= 0.80.

**Usefulness.** The contextual next-visit task of `luna.learning.next_visit` on the test
window (sampled check-ins, `at` and `near` of each), with the truth restricted, per vibe, to
check-ins at venues whose category defines that vibe. Every catalog venue is ranked by the
served SPEC §3 formula from `near`, without and with the vibe (the route's blend,
`luna.reco.ranking.blend_vibe`, weight LUNA_RECO_VIBE_WEIGHT); the profiles are learned from
the check-ins before the test window, every category known (as `luna vibes refresh` does).
Acc@10 with the vibe over without, relative; goal >= +20%. The same on the validation
window for several weights (where the default weight was chosen) is reported beside it.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from scipy.stats import rankdata

from luna.config import RecoSettings
from luna.learning import next_visit
from luna.learning.catalog import Catalog, build_catalog, luna_category
from luna.learning.data import CheckinLog, load_foursquare
from luna.learning.progress import step_progress
from luna.learning.serving import top
from luna.learning.split import time_split
from luna.learning.windows import build_window
from luna.reco.ranking import blend_vibe
from luna.vibes.learner import Behaviour, learn
from luna.vibes.vocabulary import DEFINING_PRIOR, VIBE_NAMES, prior_matrix

HIDDEN_SHARE = 0.30
RECOVERY_GOAL = 0.80
USEFULNESS_GOAL = 0.20  # relative Acc@10 gain
SAMPLE = 6_000  # test check-ins of the next-visit task (all vibes together)
# Vibe weights tried on the validation window (the served one is LUNA_RECO_VIBE_WEIGHT).
SWEEP = (0.25, 0.5, 0.75, 1.0)


@dataclass(frozen=True)
class VibesEvalConfig:
    data: Path
    out: Path
    seed: int = 42
    max_users: int | None = None
    sample: int = SAMPLE


def roc_auc(scores: np.ndarray, truth: np.ndarray) -> float:
    """Area under the ROC curve: the chance a positive outranks a negative (ties half);
    NaN without both."""
    positives = int(truth.sum())
    negatives = len(truth) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[truth].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def catalog_behaviour(log: CheckinLog, catalog: Catalog, before: int | None = None) -> Behaviour:
    """The check-ins at catalog venues (before `before`) as the learner's behaviour."""
    position = catalog.position[log.venue]
    keep = position >= 0
    if before is not None:
        keep &= log.utc < before
    return Behaviour(
        n_venues=len(catalog),
        venue=position[keep].astype(np.int64),
        user=log.user[keep].astype(np.int64),
        local=log.local[keep],
    )


def catalog_priors(catalog: Catalog) -> tuple[np.ndarray, np.ndarray]:
    names = [luna_category(catalog.category_names[c]) for c in catalog.category]
    return prior_matrix(names)


def recovery(log: CheckinLog, catalog: Catalog, seed: int) -> dict[str, Any]:
    prior, known = catalog_priors(catalog)
    rng = np.random.default_rng(seed)
    hidden = np.zeros(len(catalog), dtype=bool)
    hidden[rng.choice(len(catalog), round(HIDDEN_SHARE * len(catalog)), replace=False)] = True
    behaviour = catalog_behaviour(log, catalog)
    profiles = learn(behaviour, prior, known & ~hidden, seed=seed)
    visits = profiles.visits[hidden]
    per_vibe = {}
    for j, vibe in enumerate(VIBE_NAMES):
        truth = prior[hidden, j] >= DEFINING_PRIOR
        scores = profiles.scores[hidden, j]
        often = visits >= 3
        per_vibe[vibe] = {
            "auc": roc_auc(scores, truth),
            "auc_3_visits": roc_auc(scores[often], truth[often]),
            "positives": int(truth.sum()),
        }
    mean = float(np.nanmean([r["auc"] for r in per_vibe.values()]))
    return {
        "hidden_venues": int(hidden.sum()),
        "hidden_with_3_visits": int((visits >= 3).sum()),
        "hidden_share": HIDDEN_SHARE,
        "per_vibe": per_vibe,
        "mean_auc": mean,
        "mean_auc_3_visits": float(np.nanmean([r["auc_3_visits"] for r in per_vibe.values()])),
        "goal": RECOVERY_GOAL,
        "met": bool(mean >= RECOVERY_GOAL),
    }


def _vibe_tasks(cases: list, prior: np.ndarray) -> dict[str, list]:
    """Per vibe, the cases whose venue's category defines it."""
    return {
        vibe: [c for c in cases if prior[c.target, j] >= DEFINING_PRIOR]
        for j, vibe in enumerate(VIBE_NAMES)
    }


def _ranks(
    context, tasks: dict[str, list], fits: np.ndarray, weights: tuple[float, ...], progress, step
) -> dict[str, dict[float, list]]:
    """Per vibe and weight (0: without the vibe), each case's rank of its venue."""
    heuristic = next_visit.HeuristicNear(RecoSettings())
    out: dict[str, dict[float, list]] = {}
    for j, vibe in enumerate(VIBE_NAMES):
        out[vibe] = {w: [] for w in weights}
        for case in tasks[vibe]:
            score = heuristic.scores(context, case)
            for w in weights:
                ranked = top(blend_vibe(score, fits[:, j], w), next_visit.DEPTH).tolist()
                out[vibe][w].append(next_visit.rank_of(ranked, case.target))
            progress.advance(step)
    return out


def _pooled_gain(ranks: dict[str, dict[float, list]], weight: float) -> float:
    hits = {
        w: sum(sum(r is not None and r < 10 for r in per[w]) for per in ranks.values())
        for w in (0.0, weight)
    }
    return hits[weight] / hits[0.0] - 1.0 if hits[0.0] else float("inf")


def usefulness(
    log: CheckinLog, catalog: Catalog, seed: int, sample: int, progress: Progress
) -> dict[str, Any]:
    """The weight is the one served (LUNA_RECO_VIBE_WEIGHT); the validation window's gains
    for other weights are reported beside it (that is where the default was chosen)."""
    weight = RecoSettings().vibe_weight
    split = time_split(log)
    prior, known = catalog_priors(catalog)
    step = progress.add_task("usefulness: windows and profiles", total=4)
    # The next-visit task's check-ins (`luna.learning.moments`), drawn with `seed`.
    validation = build_window(log, catalog, split.validation, seed=seed, moments=sample)
    progress.advance(step)
    test = build_window(log, catalog, split.test, seed=seed, moments=sample)
    progress.advance(step)
    before_validation = learn(
        catalog_behaviour(log, catalog, split.val_start), prior, known, seed=seed
    )
    progress.advance(step)
    before_test = learn(catalog_behaviour(log, catalog, split.test_start), prior, known, seed=seed)
    progress.advance(step)
    val_tasks, tasks = _vibe_tasks(validation.moments, prior), _vibe_tasks(test.moments, prior)
    step = progress.add_task(
        "usefulness: ranking every venue per check-in",
        total=sum(map(len, val_tasks.values())) + sum(map(len, tasks.values())),
    )
    sweep = tuple(sorted({0.0, *SWEEP, weight}))
    val_ranks = _ranks(
        validation.context, val_tasks, before_validation.scores, sweep, progress, step
    )
    ranks = _ranks(test.context, tasks, before_test.scores, (0.0, weight), progress, step)
    per_vibe: dict[str, dict[str, Any]] = {}
    for vibe in VIBE_NAMES:
        without, with_vibe = (
            next_visit.metrics(ranks[vibe][0.0]),
            next_visit.metrics(ranks[vibe][weight]),
        )
        base = without["acc@10"]
        per_vibe[vibe] = {
            "cases": len(tasks[vibe]),
            "without": without,
            "with": with_vibe,
            "relative_gain": with_vibe["acc@10"] / base - 1.0 if base else float("inf"),
        }
    gains = [r["relative_gain"] for r in per_vibe.values() if np.isfinite(r["relative_gain"])]
    pooled_gain = _pooled_gain(ranks, weight)
    return {
        "sampled_check_ins": len(test.moments),
        "vibe_weight": weight,
        "model": next_visit.HEURISTIC,
        "per_vibe": per_vibe,
        "pooled_relative_gain": pooled_gain,
        "min_relative_gain": min(gains) if gains else float("nan"),
        "validation_sweep": {str(w): _pooled_gain(val_ranks, w) for w in sweep if w > 0},
        "goal": USEFULNESS_GOAL,
        "met": bool(pooled_gain >= USEFULNESS_GOAL),
        "met_every_vibe": bool(gains and min(gains) >= USEFULNESS_GOAL),
    }


def run(config: VibesEvalConfig, console: Console) -> dict[str, Any]:
    """Both measures; writes vibes.json, vibes.md, vibes_recovery.png, vibes_usefulness.png."""
    import json

    progress = step_progress(console)
    with progress:
        step = progress.add_task("reading check-ins", total=1)
        log = load_foursquare(config.data, max_users=config.max_users)
        catalog = build_catalog(log)
        progress.advance(step)
        step = progress.add_task("recovery: learning with 30% of categories hidden", total=1)
        recovered = recovery(log, catalog, config.seed)
        progress.advance(step)
        useful = usefulness(log, catalog, config.seed, config.sample, progress)
    report = {
        "seed": config.seed,
        "data": str(config.data),
        "check_ins": len(log),
        "catalog_venues": len(catalog),
        "recovery": recovered,
        "usefulness": useful,
    }
    config.out.mkdir(parents=True, exist_ok=True)
    (config.out / "vibes.json").write_text(json.dumps(report, indent=2) + "\n")
    (config.out / "vibes.md").write_text(markdown(report) + "\n")
    plot_recovery(recovered, config.out / "vibes_recovery.png")
    plot_usefulness(useful, config.out / "vibes_usefulness.png")
    console.print(rich_table(report))
    return report


def markdown(report: dict[str, Any]) -> str:
    r, u = report["recovery"], report["usefulness"]
    lines = [
        f"**Recovery** ({r['hidden_venues']:,} of {report['catalog_venues']:,} catalog venues "
        f"with their category hidden, seed {report['seed']}; {r['hidden_with_3_visits']:,} of "
        "them with at least 3 check-ins)",
        "",
        "| vibe | hidden venues of its categories | ROC AUC | ROC AUC, >= 3 check-ins |",
        "|---|---:|---:|---:|",
    ]
    for vibe, row in r["per_vibe"].items():
        lines.append(
            f"| {vibe} | {row['positives']} | {row['auc']:.3f} | {row['auc_3_visits']:.3f} |"
        )
    lines += [
        f"| **mean** | | **{r['mean_auc']:.3f}** | {r['mean_auc_3_visits']:.3f} |",
        "",
        f"Goal: mean ROC AUC >= {r['goal']:.2f}: "
        + ("**met**." if r["met"] else f"**not met** ({r['mean_auc']:.3f})."),
        "",
        f"**Usefulness** ({u['sampled_check_ins']:,} sampled test check-ins; per vibe, those at "
        f"venues of its categories; {u['model']}, vibe weight {u['vibe_weight']:g})",
        "",
        "| vibe | check-ins | Acc@10 without | Acc@10 with vibe | relative gain | "
        "MRR@10 without | MRR@10 with |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for vibe, row in u["per_vibe"].items():
        lines.append(
            f"| {vibe} | {row['cases']} | {row['without']['acc@10']:.4f} | "
            f"{row['with']['acc@10']:.4f} | {row['relative_gain']:+.1%} | "
            f"{row['without']['mrr@10']:.4f} | {row['with']['mrr@10']:.4f} |"
        )
    lines += [
        "",
        f"Pooled over vibes: {u['pooled_relative_gain']:+.1%}; smallest per vibe: "
        f"{u['min_relative_gain']:+.1%}. Goal +{u['goal']:.0%} relative: "
        + ("**met**" if u["met"] else "**not met**")
        + (" (every vibe)." if u["met_every_vibe"] else " (pooled; not every vibe)."),
        "",
        "Pooled relative gain on the validation window (the 4 weeks before the test window) "
        "by vibe weight: "
        + ", ".join(f"{w}: {g:+.1%}" for w, g in u["validation_sweep"].items())
        + ".",
    ]
    return "\n".join(lines)


def rich_table(report: dict[str, Any]) -> Table:
    r, u = report["recovery"], report["usefulness"]
    table = Table(title="Vibes on the real check-ins")
    for column in ("vibe", "recovery AUC", "Acc@10 without", "Acc@10 with", "gain"):
        table.add_column(column, justify="left" if column == "vibe" else "right")
    for vibe in VIBE_NAMES:
        a, b = r["per_vibe"][vibe], u["per_vibe"][vibe]
        table.add_row(
            vibe,
            f"{a['auc']:.3f}",
            f"{b['without']['acc@10']:.4f}",
            f"{b['with']['acc@10']:.4f}",
            f"{b['relative_gain']:+.1%}",
        )
    table.add_row(
        "mean / pooled", f"{r['mean_auc']:.3f}", "", "", f"{u['pooled_relative_gain']:+.1%}",
        style="bold",
    )  # fmt: skip
    return table


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_recovery(section: dict[str, Any], path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 3.8))
    x = np.arange(len(VIBE_NAMES))
    all_visits = [section["per_vibe"][v]["auc"] for v in VIBE_NAMES]
    often = [section["per_vibe"][v]["auc_3_visits"] for v in VIBE_NAMES]
    ax.bar(x - 0.2, all_visits, 0.4, label="hidden venues", color="tab:blue")
    ax.bar(x + 0.2, often, 0.4, label="hidden venues with >= 3 check-ins", color="0.6")
    ax.axhline(section["goal"], color="tab:red", linestyle="--", label="goal (mean)")
    ax.axhline(0.5, color="0.3", linewidth=0.8, label="chance")
    ax.set_xticks(x, VIBE_NAMES)
    ax.set_ylim(0.4, 1.0)
    ax.set_ylabel("ROC AUC")
    ax.set_title(
        f"Vibe recovery, 30% of categories hidden: mean AUC {section['mean_auc']:.3f}",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)


def plot_usefulness(section: dict[str, Any], path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 3.8))
    x = np.arange(len(VIBE_NAMES))
    without = [section["per_vibe"][v]["without"]["acc@10"] for v in VIBE_NAMES]
    with_vibe = [section["per_vibe"][v]["with"]["acc@10"] for v in VIBE_NAMES]
    ax.bar(x - 0.2, without, 0.4, label="without vibe", color="0.6")
    ax.bar(x + 0.2, with_vibe, 0.4, label="with vibe=<that vibe>", color="tab:green")
    ax.set_xticks(x, VIBE_NAMES)
    ax.set_ylabel("Acc@10")
    ax.set_title(
        "Next visit at a vibe's venues, SPEC §3 from near: pooled gain "
        f"{section['pooled_relative_gain']:+.0%}",
        fontsize=10,
    )
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
