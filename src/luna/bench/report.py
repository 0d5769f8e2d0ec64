"""The benchmark's results: bench.json (with the run's machine and settings), the table (Rich)
and the plot (matplotlib, PNG)."""

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from luna.bench import synthetic
from luna.bench.options import BenchOptions

MIB = 1024 * 1024


def load_previous(path: Path, merge: bool) -> dict:
    """The results already in `path` when merging (other scales are kept), else none."""
    if merge and path.exists():
        previous = json.loads(path.read_text())
        previous.setdefault("scales", {})
        # Files written while the service had a reference engine also hold its runs.
        for scale in previous["scales"].values():
            scale["runs"] = [r for r in scale["runs"] if r.pop("engine", "default") == "default"]
            scale.pop("speedups", None)
        return previous
    return {"scales": {}}


def meta(options: BenchOptions) -> dict:
    """What the figures depend on besides the code: the machine and the run's settings."""
    return {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": _git_commit(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "duration_seconds": options.duration,
        "warmup_seconds": options.warmup_seconds,
        "connections": options.connections,
        "workers": options.workers,
        "wrk_threads": options.wrk_threads,
        "seed": options.seed,
        "write_rate_limit": options.write_rate_limit,
        "log_level": "WARNING",
        "routes": {route.key: route.label for route in options.routes},
    }


def write_json(path: Path, results: dict) -> None:
    """bench.json, its scales in size order."""
    ordered = dict(results)
    ordered["scales"] = {
        name: results["scales"][name]
        for name in sorted(results["scales"], key=lambda n: list(synthetic.SCALES).index(n))
    }
    path.write_text(json.dumps(ordered, indent=2) + "\n")


def print_report(results: dict, console: Console) -> None:
    meta = results.get("meta", {})
    table = Table(
        title=(
            f"luna bench: {meta.get('workers')} workers, wrk {meta.get('duration_seconds')} s per "
            "run; single client (1 connection), then under load (conns connections)"
        )
    )
    for column in ("scale", "route"):
        table.add_column(column)
    for column in ("1 conn median ms", "conns", "req/s", "median ms", "p99 ms"):
        table.add_column(column, justify="right")
    table.add_column("items/s", justify="right")
    table.add_column("errors", justify="right")
    for name, scale in results["scales"].items():
        runs = scale["runs"]
        order = list(meta.get("routes", {})) or [r["route"] for r in runs]
        routes = sorted(
            {r["route"] for r in runs},
            key=lambda route: order.index(route) if route in order else len(order),
        )
        for route in routes:
            single = _find(runs, route, "single")
            many = _find(runs, route, "concurrent")
            errors = sum(sum(r["errors"].values()) for r in (single, many) if r)
            table.add_row(
                name,
                route,
                _ms(single, "median_ms"),
                str(many["connections"]) if many else "-",
                _rate(many["requests_per_second"]) if many else "-",
                _ms(many, "median_ms"),
                _ms(many, "p99_ms"),
                f"{many['items_per_second']:,.0f}" if many and route == "batch" else "",
                f"[red]{errors}[/red]" if errors else "0",
            )
        table.add_section()
    console.print(table)

    summary = Table(title="per scale")
    for column in ("scale", "users", "venues", "interactions", "edges"):
        summary.add_column(column, justify="right")
    for column in ("generate s", "import s", "worker RSS MiB"):
        summary.add_column(column, justify="right")
    for name, scale in results["scales"].items():
        counts = scale["counts"]
        summary.add_row(
            name,
            f"{counts['users']:,}",
            f"{counts['venues']:,}",
            f"{counts['interactions']:,}",
            f"{counts['social_edges']:,}",
            _seconds(scale.get("generate_seconds")),
            _seconds(scale.get("import_seconds")),
            " / ".join(f"{rss / MIB:,.0f}" for rss in scale["worker_rss_bytes"]) or "-",
        )
    console.print(summary)


def plot(results: dict, path: Path) -> Path:
    """Latency against scale (users, log axes), one line per route: single-client median and
    p99 under load."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results["scales"])
    users = {name: results["scales"][name]["counts"]["users"] for name in names}
    routes = list(
        dict.fromkeys(r["route"] for name in names for r in results["scales"][name]["runs"])
    )
    figure, axes = plt.subplots(1, 3, figsize=(16, 5.2))
    panels = (
        ("single", "median_ms", "single client: median latency (ms)"),
        ("concurrent", "p99_ms", "under load: p99 latency (ms)"),
        ("concurrent", "requests_per_second", "under load: requests/s"),
    )
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for axis, (mode, metric, title) in zip(axes, panels, strict=True):
        for n, route in enumerate(routes):
            points = [
                (users[name], run[metric])
                for name in names
                for run in results["scales"][name]["runs"]
                if run["route"] == route and run["mode"] == mode and run[metric] > 0
            ]
            if not points:
                continue
            xs, ys = zip(*points, strict=True)
            axis.plot(xs, ys, "-o", color=colors[n % len(colors)], label=route)
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_title(title)
        axis.set_xticks([users[name] for name in names])
        axis.set_xticklabels([f"{name}\n{users[name]:,} users" for name in names])
        axis.minorticks_off()
        axis.grid(True, which="major", alpha=0.3)
    axes[0].legend(fontsize=8)
    meta = results.get("meta", {})
    figure.suptitle(
        f"luna bench ({meta.get('workers')} workers, {meta.get('connections')} connections under "
        f"load, commit {meta.get('git_commit')})"
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def _find(runs: list[dict], route: str, mode: str) -> dict | None:
    for run in runs:
        if run["route"] == route and run["mode"] == mode:
            return run
    return None


def _rate(value: float) -> str:
    return f"{value:,.1f}" if value < 10 else f"{value:,.0f}"


def _ms(run: dict | None, key: str) -> str:
    return "-" if run is None else f"{run[key]:,.2f}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
