"""`luna eval`'s results as people read them: the Markdown tables of docs/evaluation.md,
the terminal table, and the NDCG@10 plot. The names here (the variants, the learned
ranker's row) are the ones `luna.learning.evaluate` files its results under."""

from pathlib import Path

import numpy as np
from rich.table import Table

from luna.learning.metrics import BOOTSTRAP_RESAMPLES, KS

VARIANTS = ("all", "new")
VARIANT_TITLES = {"all": "all future visits", "new": "venues new to the person"}
LEARNED = "learned ranker (LambdaRank)"

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


def summary_lines(split_truth: dict, gains: dict) -> list[str]:
    t = split_truth
    lines = [
        f"test truth: {t['checkins']} catalog check-ins, {t['repeat_checkin_share']:.1%} at "
        f"venues the person had visited before (repeat), "
        f"{1 - t['repeat_checkin_share']:.1%} new (explore); {t['pairs']} distinct "
        f"(person, venue) pairs, {t['repeat_pair_share']:.1%} repeat; {t['people_only_new']} "
        f"of {t['people']} people visited only venues new to them"
    ]
    for variant in VARIANTS:
        g = gains[variant]
        low, high = g["ci95"]
        lines.append(
            f"{VARIANT_TITLES[variant]}: learned - best baseline ({g['best_baseline']}) = "
            f"{g['gain']:+.4f} NDCG@10, 95% CI [{low:+.4f}, {high:+.4f}] "
            f"(paired bootstrap over people, {g['resamples']} resamples)"
        )
    return lines


def markdown_summary(split_truth: dict, gains: dict) -> str:
    t = split_truth
    parts = [
        "**repeat / explore split of the test truth**\n",
        "| | total | repeat (visited before the cutoff) | explore (new to the person) |",
        "|---|---:|---:|---:|",
        f"| catalog check-ins | {t['checkins']} | {t['repeat_checkin_share']:.1%} | "
        f"{1 - t['repeat_checkin_share']:.1%} |",
        f"| distinct (person, venue) pairs | {t['pairs']} | {t['repeat_pair_share']:.1%} | "
        f"{1 - t['repeat_pair_share']:.1%} |",
        "",
        f"{t['people_only_new']} of {t['people']} people visited only venues new to them.",
        "",
        "**learned ranker minus the best baseline, NDCG@10** (95% paired bootstrap interval "
        f"over people, {BOOTSTRAP_RESAMPLES} resamples)\n",
        "| variant | best baseline | its NDCG@10 | learned | gain | 95% interval |",
        "|---|---|---:|---:|---:|---|",
    ]
    for variant in VARIANTS:
        g = gains[variant]
        low, high = g["ci95"]
        parts.append(
            f"| {VARIANT_TITLES[variant]} | {g['best_baseline']} | {g['baseline_ndcg@10']:.4f} "
            f"| {g['learned_ndcg@10']:.4f} | {g['gain']:+.4f} | [{low:+.4f}, {high:+.4f}] |"
        )
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


def plot(model_intervals: dict, path: Path) -> None:
    """Each model's NDCG@10 with its 95% bootstrap interval, one panel per variant."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(model_intervals)
    labels = [name.split(" (")[0] for name in names]  # parameters are in the tables
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.4 * len(names) + 1.8), sharey=True)
    y = np.arange(len(names))[::-1]
    for ax, variant in zip(axes, VARIANTS, strict=True):
        mean, low, high = np.array([model_intervals[n][variant] for n in names]).T
        colors = ["tab:green" if n == LEARNED else "tab:gray" for n in names]
        ax.barh(y, mean, color=colors, xerr=[mean - low, high - mean], capsize=3)
        ax.set_title(VARIANT_TITLES[variant])
        ax.set_xlabel("NDCG@10, 95% bootstrap interval over people")
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y, labels, fontsize=9)
    fig.suptitle("Foursquare NYC, last 4 weeks: every catalog venue ranked")
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
