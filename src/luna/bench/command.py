"""The `luna bench` command (registered in luna.cli)."""

import signal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from luna.bench import BENCH_WRITE_RATE_LIMIT, DEFAULT_SEED
from luna.bench.database import DEFAULT_ADMIN_URL


def _names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def bench(
    scales: Annotated[
        str, typer.Option(help="Comma-separated scales: tiny, S1, S2, S3")
    ] = "S1,S2,S3",
    database_url: Annotated[
        str | None,
        typer.Option(
            help="Use this (empty) database for a single scale instead of a scratch database "
            "per scale"
        ),
    ] = None,
    admin_url: Annotated[
        str,
        typer.Option(help="PostgreSQL server where scratch databases are created and dropped"),
    ] = DEFAULT_ADMIN_URL,
    duration: Annotated[int, typer.Option(min=1, help="Seconds of load per route and mode")] = 10,
    warmup: Annotated[
        int | None, typer.Option(min=0, help="Seconds of warm-up per read route (default d/5)")
    ] = None,
    connections: Annotated[int, typer.Option(min=1, help="Connections under load")] = 32,
    workers: Annotated[int, typer.Option(min=1, help="luna serve --workers")] = 2,
    wrk_threads: Annotated[int, typer.Option(min=1, help="wrk threads (keep it low)")] = 1,
    out: Annotated[Path, typer.Option(help="Where bench.json, bench.png and logs go")] = Path(
        "bench-results"
    ),
    data_dir: Annotated[
        Path, typer.Option(help="Cache of the generated worlds (one folder per scale and seed)")
    ] = Path(".bench-data"),
    seed: Annotated[int, typer.Option(help="Seed of the synthetic worlds")] = DEFAULT_SEED,
    write_rate_limit: Annotated[
        str, typer.Option(help="LUNA_WRITE_RATE_LIMIT of the benchmarked server")
    ] = BENCH_WRITE_RATE_LIMIT,
    merge: Annotated[
        bool, typer.Option(help="Keep the other scales already in OUT/bench.json")
    ] = False,
) -> None:
    """Benchmark the hot routes on synthetic worlds: generate, import, serve, load with wrk;
    print a table, write OUT/bench.json and OUT/bench.png (README "Benchmarks")."""
    from luna.bench.options import BenchOptions
    from luna.bench.report import plot, print_report
    from luna.bench.runner import run_bench
    from luna.bench.wrk import WrkMissing

    console = Console(stderr=True)
    options = BenchOptions(
        scales=_names(scales),
        out=out,
        data_dir=data_dir,
        database_url=database_url,
        admin_url=admin_url,
        duration=duration,
        warmup=warmup,
        connections=connections,
        workers=workers,
        wrk_threads=wrk_threads,
        seed=seed,
        write_rate_limit=write_rate_limit,
        merge=merge,
    )
    # SIGTERM ends the run like Ctrl-C: servers stopped, scratch databases dropped.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        results = run_bench(options, console)
    except WrkMissing as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(code=2) from exc
    except (ValueError, RuntimeError) as exc:
        console.print(f"[red]luna bench failed:[/red] {exc}")
        raise typer.Exit(code=1) from exc
    report = Console()
    if not report.is_terminal:
        report = Console(width=160)  # files and pipes: keep the table's columns readable
    print_report(results, report)
    image = plot(results, out / "bench.png")
    console.print(f"Wrote {out / 'bench.json'} and {image}")
