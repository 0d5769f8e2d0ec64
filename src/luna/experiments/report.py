"""`luna experiments report KEY`: the results as a table, and a PNG with the rate per arm
(95% intervals) and the cumulative difference against the control over time."""

from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from luna.experiments import service, statistics
from luna.experiments.schemas import ExperimentResults

# Points of the cumulative curve at most (people are many; the curve needs a few hundred).
CURVE_POINTS = 200


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"


def _interval(interval: tuple[float, float] | None) -> str:
    return "-" if interval is None else f"[{_percent(interval[0])}, {_percent(interval[1])}]"


def _p(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def print_table(console: Console, results: ExperimentResults) -> None:
    arms = Table(
        "arm", "people", "exposures", "converted", "rate", "95% CI",
        title=f"Experiment {results.key} ({results.status.value})",
    )  # fmt: skip
    for arm in results.arms:
        arms.add_row(
            arm.name,
            str(arm.users),
            str(arm.exposures),
            str(arm.converted_users),
            _percent(arm.conversion_rate),
            _interval(arm.ci95),
        )
    console.print(arms)
    if results.comparisons:
        comparisons = Table(
            "arm", "vs", "difference", "95% CI", "relative lift", "p-value", title="Against control"
        )
        for c in results.comparisons:
            comparisons.add_row(
                c.arm,
                c.control,
                _percent(c.abs_diff),
                _interval(c.ci95),
                _percent(c.relative_lift),
                _p(c.p_value),
            )
        console.print(comparisons)
    if results.interleaving is not None:
        i = results.interleaving
        console.print(
            f"Interleaving: wins {i.wins}, ties {i.ties}, preference share "
            f"{_percent(i.preference_share)}, sign test p = {_p(i.p_value)}"
        )
    console.print(f"Sample ratio mismatch p-value: {_p(results.srm_p_value)}")


def cumulative_differences(
    timeline: service.Timeline,
) -> dict[str, list[tuple[datetime, float, float, float]]]:
    """Per treatment arm: (time, difference, 95% low, 95% high) of its rate minus the
    control's, over the people first exposed up to that time."""
    arms = timeline.arms
    users = dict.fromkeys(arms, 0)
    converted = dict.fromkeys(arms, 0)
    step = max(1, len(timeline.people) // CURVE_POINTS)
    curves: dict[str, list[tuple[datetime, float, float, float]]] = {arm: [] for arm in arms[1:]}
    for n, (arm, shown_at, did_convert) in enumerate(timeline.people, start=1):
        if arm not in users:
            continue
        users[arm] += 1
        converted[arm] += did_convert
        if n % step and n != len(timeline.people):
            continue
        for treatment in arms[1:]:
            diff = statistics.compare(
                converted[arms[0]], users[arms[0]], converted[treatment], users[treatment]
            )
            if diff.abs_diff is not None and diff.ci95 is not None:
                curves[treatment].append((shown_at, diff.abs_diff, *diff.ci95))
    return curves


def write_plot(results: ExperimentResults, timeline: service.Timeline, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    figure, (rates, over_time) = plt.subplots(1, 2, figsize=(12, 4.5))
    names = [arm.name for arm in results.arms]
    values = [100 * (arm.conversion_rate or 0.0) for arm in results.arms]
    errors = [
        [
            100 * ((arm.conversion_rate or 0.0) - arm.ci95[0]) if arm.ci95 else 0
            for arm in results.arms
        ],
        [
            100 * (arm.ci95[1] - (arm.conversion_rate or 0.0)) if arm.ci95 else 0
            for arm in results.arms
        ],
    ]
    rates.bar(names, values, yerr=errors, capsize=6, color="#5b8def")
    rates.set_ylabel("people converted (%)")
    rates.set_title("Conversion rate per arm (95% CI)")
    for treatment, points in cumulative_differences(timeline).items():
        if not points:
            continue
        times = [p[0] for p in points]
        line = over_time.plot(
            times, [100 * p[1] for p in points], label=f"{treatment} - {names[0]}"
        )
        over_time.fill_between(
            times, [100 * p[2] for p in points], [100 * p[3] for p in points],
            alpha=0.2, color=line[0].get_color(),
        )  # fmt: skip
    locator = mdates.AutoDateLocator()
    over_time.xaxis.set_major_locator(locator)
    over_time.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    over_time.axhline(0, color="grey", linewidth=0.8)
    over_time.set_ylabel("difference (percentage points)")
    over_time.set_title("Cumulative difference by first exposure (95% CI)")
    over_time.legend(loc="best")
    figure.suptitle(f"Experiment {results.key}")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def report(session: Session, key: str, console: Console, out: Path) -> Path:
    """Print the results and write `<out>/experiment-<key>.png`; answers the PNG's path."""
    results = service.read_results(session, key)
    print_table(console, results)
    return write_plot(results, service.timeline(session, key), out / f"experiment-{key}.png")
