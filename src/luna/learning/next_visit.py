"""Next visit: the contextual evaluation of `luna eval` (issue 17, point 4).

The protocol of next-POI papers, on Luna's catalog. For each sampled check-in at a catalog
venue in the test window, every catalog venue is ranked for that person:

- `at` = the check-in's time (UTC for recency, the row's local wall clock for the time of
  week);
- `near` = the place of the person's previous check-in (any venue, in or out of the catalog)
  if it was less than NEAR_HOURS earlier, else their home (estimated before the window's
  cutoff), else nothing;
- the person's history = their catalog check-ins strictly before `at` (those of the test
  window before it included; nothing at or after `at`). The serving path keeps later visits
  (at age 0), so this is computed offline from the check-in log, not through the API.

The catalog context (popularity, neighbours, time-of-week profiles) is the window's, built
from the events before the cutoff, as a served snapshot would be.

Metrics over the sampled check-ins (one truth venue each): Acc@k = share whose venue is in
the top k (k = 1, 5, 10); MRR@10 = mean of 1 / rank, 0 beyond 10. Ties in a ranking go to the
lower catalog position (`luna.learning.serving.top`).
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from luna.config import RecoSettings
from luna.geo import haversine_km
from luna.learning.baselines import positive_first, tie_break
from luna.learning.data import DAY
from luna.learning.features import (
    FREQUENCY_HALF_LIFE_DAYS,
    CatalogContext,
    recency_weights,
    time_bin,
)
from luna.learning.moments import NEAR_HOURS, Case
from luna.learning.serving import LearnedVenueRanker, top
from luna.learning.windows import Window
from luna.reco.heuristic import score_venues

if TYPE_CHECKING:
    from rich.progress import Progress

ACC_KS = (1, 5, 10)
MRR_K = 10
DEPTH = max(max(ACC_KS), MRR_K)
METRICS = (*(f"acc@{k}" for k in ACC_KS), f"mrr@{MRR_K}")
# Time-aware frequency: how much more a visit in the asked moment's time bin weighs (tried on
# the validation window's check-ins; 0 is plain recency-weighted frequency).
SLOT_BOOST_GRID = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


Ranker = Callable[[CatalogContext, Case], np.ndarray]  # -> the top DEPTH positions


def _distance(context: CatalogContext, near: tuple[float, float]) -> np.ndarray:
    return haversine_km(near[0], near[1], context.venues.lat, context.venues.lng)


@dataclass
class RecencyFrequency:
    """The person's venues by visits weighted 0.5 ** (age / half-life), age counted from
    `at`; with `slot_boost` > 0, a visit in the same time bin as `at` (4-hour slot of the day
    and weekday / weekend, `luna.learning.features.time_bin`) weighs (1 + slot_boost) times
    as much: time-aware frequency."""

    half_life_days: float = FREQUENCY_HALF_LIFE_DAYS
    slot_boost: float = 0.0

    def weights(self, case: Case) -> np.ndarray:
        h = case.history
        weight = recency_weights((case.utc - h.utc) / DAY, self.half_life_days)
        if self.slot_boost:
            same = time_bin(h.local) == time_bin(np.array([case.local], dtype=np.int64))[0]
            weight = weight * (1.0 + self.slot_boost * same)
        return weight

    def __call__(self, context: CatalogContext, case: Case) -> np.ndarray:
        score = np.bincount(
            case.history.venue, weights=self.weights(case), minlength=len(context.venues)
        )
        return top(positive_first(score, context), DEPTH)


@dataclass
class HeuristicNear:
    """The contract's SPEC §3 formula with `near` as the origin (it has no notion of time)."""

    settings: RecoSettings

    def scores(self, context: CatalogContext, case: Case) -> np.ndarray:
        """Every catalog venue's SPEC §3 score for the case."""
        h, n = case.history, len(context.venues)
        distance = None if case.near is None else _distance(context, case.near)
        engaged = np.unique(h.venue)
        positive = np.bincount(h.venue[h.positive], minlength=n)[engaged]
        dwell = np.bincount(h.venue, weights=h.dwell, minlength=n)[engaged]
        score = score_venues(distance, context.popularity, engaged, positive, dwell, self.settings)
        return score.score

    def __call__(self, context: CatalogContext, case: Case) -> np.ndarray:
        return top(self.scores(context, case), DEPTH)


def nearest(context: CatalogContext, case: Case) -> np.ndarray:
    """Nearest to `near` first (popularity without one)."""
    if case.near is None:
        return top(tie_break(context), DEPTH)
    return top(-_distance(context, case.near), DEPTH)


def learned(ranker: LearnedVenueRanker) -> Ranker:
    """The served ranker with context: recency from `at`, the moment's time of week, `near`
    standing in for the home (as `luna.reco.learned.rank` does with near_lat/near_lng)."""

    def rank(context: CatalogContext, case: Case) -> np.ndarray:
        result = ranker.score(context, case.history, case.utc, moment_local=case.local)
        return result.top(DEPTH)

    return rank


def rank_of(ranked: Sequence[int], target: int) -> int | None:
    """0-based rank of `target` in the top list, None if absent."""
    for i, position in enumerate(ranked):
        if position == target:
            return i
    return None


def metrics(ranks: Iterable[int | None]) -> dict[str, float]:
    """Acc@k and MRR@10 from each case's 0-based rank (None: not in the top DEPTH)."""
    ranks = list(ranks)
    n = len(ranks)
    out: dict[str, float] = {}
    for k in ACC_KS:
        out[f"acc@{k}"] = sum(r is not None and r < k for r in ranks) / n if n else 0.0
    out[f"mrr@{MRR_K}"] = (
        sum(1.0 / (r + 1) for r in ranks if r is not None and r < MRR_K) / n if n else 0.0
    )
    out["cases"] = n
    return out


def evaluate(
    context: CatalogContext,
    task: Sequence[Case],
    ranker: Ranker,
    advance: Callable[[], None] | None = None,
) -> dict[str, float]:
    ranks = []
    for case in task:
        ranks.append(rank_of(ranker(context, case).tolist(), case.target))
        if advance is not None:
            advance()
    return metrics(ranks)


def tune_slot_boost(
    context: CatalogContext, task: Sequence[Case], half_life_days: float
) -> tuple[float, list[dict]]:
    """The time-aware baseline's slot boost with the best Acc@10 on `task` (validation; ties:
    MRR@10, then the first)."""
    tried, best, best_key = [], SLOT_BOOST_GRID[0], (-1.0, -1.0)
    for boost in SLOT_BOOST_GRID:
        result = evaluate(context, task, RecencyFrequency(half_life_days, boost))
        tried.append({"slot_boost": boost, **{m: result[m] for m in METRICS}})
        key = (result["acc@10"], result[f"mrr@{MRR_K}"])
        if key > best_key:
            best, best_key = boost, key
    return best, tried


def describe_task(task: Sequence[Case]) -> dict[str, float]:
    n = len(task)
    return {
        "cases": n,
        "people": len({c.user for c in task}),
        "near_previous_share": sum(c.near_is_previous for c in task) / n if n else 0.0,
        "near_home_share": sum(c.near is not None and not c.near_is_previous for c in task) / n
        if n
        else 0.0,
        "repeat_share": sum(bool(np.isin(c.target, c.history.venue)) for c in task) / n
        if n
        else 0.0,
    }


RECENCY = "recency-weighted frequency"
TIME_AWARE = "time-aware frequency"
HEURISTIC = "SPEC §3 heuristic from near"
NEAREST = "nearest to near"
LEARNED = "learned ranker (at, near)"
GOAL_RELATIVE_GAIN = 0.10  # issue 17: the learned ranker >= 1.1 x the best baseline


def run(
    validation: Window,
    test: Window,
    ranker: LearnedVenueRanker,
    half_life_days: float,
    settings: RecoSettings,
    progress: "Progress | None" = None,
) -> dict:
    """`luna eval`'s next-visit section: the test window's moments (the check-ins that
    `luna.learning.windows.build_window` drew), the time-aware baseline's boost tuned on the
    validation window's, every model ranked."""
    val_task, task = validation.moments, test.moments
    boost, tuning = tune_slot_boost(validation.context, val_task, half_life_days)
    models: dict[str, Ranker] = {
        f"{RECENCY} (half-life={half_life_days:g} days)": RecencyFrequency(half_life_days),
        f"{TIME_AWARE} (half-life={half_life_days:g} days, slot boost={boost:g})": (
            RecencyFrequency(half_life_days, boost)
        ),
        HEURISTIC: HeuristicNear(settings),
        NEAREST: nearest,
        LEARNED: learned(ranker),
    }
    advance = None
    if progress is not None:
        ranking = progress.add_task(
            "next visit: ranking every venue per check-in", total=len(models) * len(task)
        )

        def advance() -> None:
            progress.advance(ranking)

    results = {name: evaluate(test.context, task, model, advance) for name, model in models.items()}
    return {
        "protocol": {
            "sample": len(task),
            "near_hours": NEAR_HOURS,
            "window": "test",
            **describe_task(task),
        },
        "slot_boost_tuning": tuning,
        "validation_cases": len(val_task),
        "results": results,
        "goal": goal(results),
    }


def goal(results: dict) -> dict:
    """The learned ranker at least GOAL_RELATIVE_GAIN above the best baseline, relative, on
    Acc@10 and on MRR@10 (the best baseline per metric, on the test check-ins)."""
    learned_result = results[LEARNED]
    checks, met = {}, True
    for metric in ("acc@10", f"mrr@{MRR_K}"):
        best_name = max((n for n in results if n != LEARNED), key=lambda n: results[n][metric])
        best = results[best_name][metric]
        gain = learned_result[metric] / best - 1.0 if best else float("inf")
        ok = bool(gain >= GOAL_RELATIVE_GAIN)
        met &= ok
        checks[metric] = {
            "best_baseline": best_name,
            "baseline": best,
            "learned": learned_result[metric],
            "relative_gain": gain,
            "met": ok,
        }
    summary = (
        "next visit: "
        + "; ".join(
            f"{m} learned {c['learned']:.4f} vs best baseline {c['baseline']:.4f} "
            f"({c['relative_gain']:+.1%})"
            for m, c in checks.items()
        )
        + (" -> goal met (+10%)" if met else " -> goal NOT met (+10% relative)")
    )
    return {"met": met, "checks": checks, "summary": summary}


def markdown(section: dict) -> str:
    p = section["protocol"]
    parts = [
        f"**next visit** ({p['cases']} sampled test check-ins of {p['people']} people; near = "
        f"previous check-in within {p['near_hours']} h for {p['near_previous_share']:.1%}, "
        f"home for {p['near_home_share']:.1%}; {p['repeat_share']:.1%} at a venue the person "
        "had visited before)\n",
        "| model | " + " | ".join(METRICS) + " |",
        "|---|" + "---:|" * len(METRICS),
    ]
    for name, result in section["results"].items():
        label = f"**{name}**" if name == LEARNED else name
        parts.append(f"| {label} | " + " | ".join(f"{result[m]:.4f}" for m in METRICS) + " |")
    parts += ["", section["goal"]["summary"]]
    return "\n".join(parts)


def rich_table(section: dict):
    from rich.table import Table

    p = section["protocol"]
    table = Table(
        title=f"Next visit: {p['cases']} test check-ins, every catalog venue ranked at (at, near)"
    )
    table.add_column("model")
    for metric in METRICS:
        table.add_column(metric, justify="right")
    for name, result in section["results"].items():
        style = "bold green" if name == LEARNED else None
        table.add_row(name, *(f"{result[m]:.4f}" for m in METRICS), style=style)
    return table


def plot(section: dict, path) -> None:
    """Acc@1, Acc@5, Acc@10 and MRR@10 of each model, grouped bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = section["results"]
    names = list(results)
    labels = [name.split(" (")[0] if name != LEARNED else name for name in names]
    fig, ax = plt.subplots(figsize=(9, 4.2))
    x = np.arange(len(METRICS))
    width = 0.8 / len(names)
    grays = ("0.35", "0.5", "0.65", "0.8")
    for i, name in enumerate(names):
        color = "tab:green" if name == LEARNED else grays[i % len(grays)]
        values = [results[name][m] for m in METRICS]
        ax.bar(x + (i - (len(names) - 1) / 2) * width, values, width, label=labels[i], color=color)
    ax.set_xticks(x, [m.replace("acc", "Acc").replace("mrr", "MRR") for m in METRICS])
    ax.set_ylabel("share of check-ins (MRR: mean 1/rank)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(
        f"Next visit, Foursquare NYC test window: {section['protocol']['cases']} check-ins, "
        "every catalog venue ranked",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
