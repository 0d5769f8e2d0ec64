"""The benchmark: for each scale, generate (cached), import, serve, drive every route with wrk.

Per scale: the synthetic world is generated once and cached (`data_dir/<scale>-seed<seed>-v<n>`),
`luna import` of it is timed into a fresh PostgreSQL database, then `luna serve --workers N
--no-demo` runs with authentication on and a random `LUNA_JWT_SECRET`, and each route is driven
(`luna.bench.measure`) with the requests of `luna.bench.routes`.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from luna.bench import synthetic
from luna.bench.database import (
    POSTGRES_SETTINGS,
    bench_database,
    connections_warning,
    postgres_settings,
)
from luna.bench.measure import drive, note_rss
from luna.bench.options import BenchOptions
from luna.bench.report import load_previous, meta, write_json
from luna.bench.routes import prepare_requests
from luna.bench.server import Server, run_import, server_env
from luna.bench.wrk import wrk_path


@dataclass
class ScaleResult:
    name: str
    counts: dict[str, int]
    generate_seconds: float | None = None
    import_seconds: float | None = None
    worker_rss_bytes: list[int] = field(default_factory=list)
    postgresql: dict[str, str | int] = field(default_factory=dict)
    runs: list[dict] = field(default_factory=list)


def run_bench(options: BenchOptions, console: Console) -> dict:
    """Runs the benchmark and returns the results (also written to `out/bench.json`)."""
    wrk_path()  # fails early, with the install hint
    for name in options.scales:
        synthetic.get_scale(name)
    if options.database_url and len(options.scales) > 1:
        raise ValueError("--database-url takes one scale at a time (it is not emptied between)")
    options.out.mkdir(parents=True, exist_ok=True)
    (options.out / "logs").mkdir(exist_ok=True)
    results = load_previous(options.out / "bench.json", options.merge)
    results["meta"] = meta(options)
    # Per scale: generate, import, serve; two modes per route.
    total = len(options.scales) * (3 + 2 * len(options.routes))
    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("benchmark", total=total)

        def step(description: str) -> None:
            progress.update(task, description=description)
            if not progress.console.is_terminal:  # a log file: one line per step
                progress.console.print(f"{datetime.now():%H:%M:%S} {description}")

        def advance() -> None:
            progress.advance(task)

        for name in options.scales:
            scale_result = _run_scale(options, name, step, advance, progress.console)
            results["scales"][name] = _as_dict(scale_result)
            write_json(options.out / "bench.json", results)
    return results


def _run_scale(
    options: BenchOptions,
    name: str,
    step: Callable[[str], None],
    advance: Callable[[], None],
    console: Console,
) -> ScaleResult:
    scale = synthetic.get_scale(name)
    result = ScaleResult(name=name, counts=_counts(scale))
    step(f"{name}: generating the world")
    folder, result.generate_seconds = _generated(options, scale)
    advance()
    sample = synthetic.load_sample(folder)
    logs = options.out / "logs"
    with bench_database(name, options.database_url, options.admin_url) as url:
        env = server_env(url, options.write_rate_limit)
        step(f"{name}: luna import")
        result.import_seconds = run_import(folder, env, logs / f"{name}-import.log")
        console.print(
            f"{name}: generated in {result.generate_seconds:.1f} s (0 = cached), "
            f"imported in {result.import_seconds:.1f} s"
        )
        advance()
        result.postgresql = postgres_settings(url)
        if result.postgresql:
            console.print(
                "PostgreSQL " + ", ".join(f"{k} {result.postgresql[k]}" for k in POSTGRES_SETTINGS)
            )
        if warning := connections_warning(result.postgresql, options.workers):
            console.print(f"[yellow]warning:[/yellow] {warning}")
        requests = prepare_requests(
            options.out / "wrk" / name, sample, env["LUNA_JWT_SECRET"], options.seed
        )
        reads = [r for r in options.routes if not r.write]
        writes = [r for r in options.routes if r.write]
        step(f"{name}: starting luna serve")
        with Server(env, options.workers, logs / f"{name}-serve.log") as server:
            advance()
            rss_seen: dict[int, int] = {}
            for route in [*reads, *writes]:
                result.runs += drive(options, name, route, server, requests[route.key], step)
                note_rss(server, rss_seen)
                advance()
                advance()
            result.worker_rss_bytes = [rss_seen[pid] for pid in sorted(rss_seen)]
    return result


def _counts(scale: synthetic.Scale) -> dict[str, int]:
    return {
        "users": scale.users,
        "venues": scale.venues,
        "interactions": scale.interactions,
        "social_edges": scale.edges,
    }


def _generated(options: BenchOptions, scale: synthetic.Scale) -> tuple[Path, float]:
    """The scale's files, generated unless cached; returns the folder and the seconds spent
    generating (0 for a cache hit)."""
    folder = options.data_dir / f"{scale.name}-seed{options.seed}-v{synthetic.GENERATOR_VERSION}"
    done = folder / ".complete"
    if done.exists():
        return folder, 0.0
    began = time.perf_counter()
    synthetic.generate(scale, folder, options.seed)
    seconds = time.perf_counter() - began
    done.write_text(f"{seconds:.3f}\n")
    return folder, seconds


def _as_dict(result: ScaleResult) -> dict:
    return {
        "counts": result.counts,
        "generate_seconds": result.generate_seconds,
        "import_seconds": result.import_seconds,
        "worker_rss_bytes": result.worker_rss_bytes,
        "postgresql": result.postgresql,
        "runs": result.runs,
    }
