"""The `luna` command: serve, migrate, seed, import, check, token, bench, experiments."""

import multiprocessing
import os
import shutil
import socket
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from luna.auth.tokens import issue_token
from luna.bench import command as bench_command
from luna.config import Settings, get_settings
from luna.db import create_db_engine
from luna.migrate import upgrade
from luna.models import User
from luna.observability.logging import logging_config

# The subject of the admin token `luna serve` prints in development (no profile needed).
ADMIN_TOKEN_SUBJECT = uuid.UUID("00000000-0000-4000-8000-00000000ad01")

app = typer.Typer(
    help="Luna: where to go, who to go with, and an agent that books it.", no_args_is_help=True
)
console = Console(stderr=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
    demo: Annotated[
        bool | None,
        typer.Option(
            "--demo/--no-demo",
            help="Load the demo data set into an empty database "
            "(default: only for the embedded SQLite default)",
        ),
    ] = None,
) -> None:
    """Migrate the database to the latest schema, then serve the API."""
    address = _free_address(host, port)
    settings = get_settings()
    engine = create_db_engine(settings)
    upgrade(engine)
    load_demo = settings.uses_default_database if demo is None else demo
    if load_demo:
        from luna.demo import seed_demo

        if seed_demo(engine):
            console.print("[green]Loaded the demo data set.[/green]")
    if not settings.luna_auth:
        console.print("[bold yellow]Authentication is OFF (LUNA_AUTH=off): anyone is an admin.[/]")
    elif settings.luna_jwt_secret is None and settings.luna_env != "production":
        # Only tokens signed with the well-known development secret: real ones never go to
        # a terminal or a log.
        _print_ready_tokens(engine, settings)
    engine.dispose()
    # prometheus_client's folder for the workers' numbers, removed when the server stops.
    metrics_dir = _share_metrics_between_workers() if workers > 1 else None
    console.print(
        f"Luna on http://{host}:{port}  (demo app: http://{host}:{port}/app/, "
        f"API docs: http://{host}:{port}/docs)"
    )
    try:
        _run_server(address, port, workers, settings)
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _run_server(host: str, port: int, workers: int, settings: Settings) -> None:
    """granian: the ASGI app in `workers` processes, each with its own listening socket
    (SO_REUSEPORT on Linux), so the kernel spreads new connections over the workers."""
    from granian.constants import Interfaces
    from granian.server import Server

    # Each worker a fresh interpreter (granian follows multiprocessing's start method; Linux
    # forks by default): a forked one would inherit what this process imported before
    # PROMETHEUS_MULTIPROC_DIR was set, and keep its metrics to itself.
    multiprocessing.set_start_method("spawn", force=True)
    Server(
        "luna.app:create_app",
        address=host,
        port=port,
        interface=Interfaces.ASGI,  # with the lifespan
        factory=True,
        workers=workers,
        log_level=settings.log_level.lower(),
        log_dictconfig=logging_config(settings.log_level),
        # A stopping worker finishes its requests, then runs the lifespan's shutdown; one
        # still at it after the grace is killed.
        workers_kill_timeout=max(1, settings.luna_shutdown_grace_seconds),
        respawn_failed_workers=True,  # a worker that dies is replaced (uvicorn did too)
    ).serve()


def _free_address(host: str, port: int) -> str:
    """The IP address of `host` (granian binds addresses, not names such as localhost), if
    `port` is free there. granian's workers listen with SO_REUSEPORT, which would let a
    second server of the same user on the same port quietly take a share of its
    connections: one bind without it refuses a port in use."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn resolved names
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, family=family, type=socket.SOCK_STREAM
    )[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as granian's own bind
        try:
            probe.bind(address)
        except OSError as exc:
            console.print(f"[red]Cannot listen on {host}:{port}:[/red] {exc.strerror}")
            raise typer.Exit(code=1) from exc
    return str(address[0])


def _print_ready_tokens(engine: Engine, settings: Settings) -> None:
    """So the demo is usable at once: paste one into Swagger's Authorize button."""
    from luna.demo import DEMO_TOKEN_HANDLES, user_id

    ready = []
    with Session(engine) as session:
        for handle in DEMO_TOKEN_HANDLES:
            if session.get(User, user_id(handle)) is not None:
                ready.append((handle, issue_token(settings, user_id(handle))))
    ready.append(("admin", issue_token(settings, ADMIN_TOKEN_SUBJECT, admin=True)))
    console.print("[bold]Ready tokens[/bold] (development only; Swagger: Authorize → paste):")
    for who, token in ready:
        # One unwrapped line each, so a terminal copy gets the whole token.
        console.print(f"  {who}: {token}", soft_wrap=True, highlight=False)


def _share_metrics_between_workers() -> str | None:
    """prometheus_client's multiprocess mode: each worker writes its numbers to files in one
    folder and /metrics sums them (must be set before the workers start). The folder made,
    None when one was given."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        return None
    path = tempfile.mkdtemp(prefix="luna-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path


@app.command()
def token(
    user_id: Annotated[uuid.UUID, typer.Argument(help="The user id the token speaks for (sub)")],
    admin: Annotated[bool, typer.Option("--admin", help="Grant the admin role")] = False,
    minutes: Annotated[
        int | None, typer.Option(min=1, help="Lifetime (default LUNA_TOKEN_TTL_MINUTES)")
    ] = None,
) -> None:
    """Print a bearer token signed with the configured LUNA_JWT_SECRET."""
    settings = get_settings()
    ttl = timedelta(minutes=minutes) if minutes else None
    typer.echo(issue_token(settings, user_id, admin=admin, ttl=ttl))


@app.command()
def migrate() -> None:
    """Apply schema migrations (Alembic) up to the latest revision."""
    engine = create_db_engine(get_settings())
    upgrade(engine)
    engine.dispose()
    console.print("[green]Database schema is up to date.[/green]")


@app.command()
def worker() -> None:
    """Run booking jobs (PostgreSQL): as many processes, on as many machines, as you like."""
    from luna.agent.worker import run_worker
    from luna.migrate import is_at_head
    from luna.observability.logging import configure_logging

    settings = get_settings()
    if settings.is_sqlite:
        console.print("[red]luna worker needs PostgreSQL[/red]: with SQLite, luna serve runs jobs.")
        raise typer.Exit(code=2)
    engine = create_db_engine(settings)
    at_head = is_at_head(engine)
    engine.dispose()
    if not at_head:
        console.print("[red]The database schema is not at the latest migration:[/red] luna migrate")
        raise typer.Exit(code=2)
    configure_logging(settings)
    console.print("Luna booking worker: running booking jobs (Ctrl-C or SIGTERM to stop).")
    run_worker(settings)


@app.command()
def seed() -> None:
    """Load the deterministic demo data set; does nothing if users exist."""
    from luna.demo import seed_demo

    engine = create_db_engine(get_settings())
    upgrade(engine)
    loaded = seed_demo(engine)
    engine.dispose()
    console.print(
        "[green]Demo data loaded.[/green]" if loaded else "Users exist already; nothing loaded."
    )


@app.command("import")
def import_(
    directory: Annotated[
        Path,
        typer.Argument(exists=True, file_okay=False, help="Folder with users/venues/... CSV files"),
    ],
) -> None:
    """Bulk-load users.csv, venues.csv, social_edges.csv and interactions.csv (or .csv.gz)."""
    from luna.bulk import BulkImportError, import_directory

    engine = create_db_engine(get_settings())
    upgrade(engine)
    try:
        summary = import_directory(engine, directory, console=console)
    except BulkImportError as exc:
        console.print(f"[red]Import failed:[/red] {exc}")
        raise typer.Exit(code=1) from exc
    finally:
        engine.dispose()
    for name, count in summary.items():
        console.print(f"{name}: {count} row{'' if count == 1 else 's'}")


@app.command()
def check(
    fix: Annotated[
        bool, typer.Option("--fix", help="Replace what differs with the recount")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, help="Differences shown per table")] = 20,
) -> None:
    """Compare every table derived from interactions with a recount; exit 1 if one differs."""
    from rich.table import Table

    from luna.interactions import consistency

    settings = get_settings()
    engine = create_db_engine(settings)
    upgrade(engine)
    try:
        with Session(engine) as session:
            with console.status("Recounting the derived tables"):
                differences = consistency.find_differences(
                    session, settings.venue_index_refresh_seconds, limit
                )
            if differences:
                table = Table(
                    "table", "key", "stored", "recount", title="Derived data that differs"
                )
                for difference in differences:
                    table.add_row(
                        difference.table, difference.key, difference.stored, difference.recount
                    )
                console.print(table)
            if fix and differences:
                consistency.repair(session)
                session.commit()
                console.print("[green]Repaired:[/green] the derived tables equal the recount.")
    finally:
        engine.dispose()
    if not differences:
        console.print("[green]Every derived table equals its recount.[/green]")
        return
    raise typer.Exit(code=1)


experiments_app = typer.Typer(
    help="A/B experiments (the API: /experiments/).", no_args_is_help=True
)
app.add_typer(experiments_app, name="experiments")


@experiments_app.command("report")
def experiments_report(
    key: Annotated[str, typer.Argument(help="The experiment's key")],
    out: Annotated[Path, typer.Option(help="Folder for the PNG")] = Path("reports"),
) -> None:
    """Print an experiment's results and write a PNG: the rate per arm with 95% intervals,
    and the cumulative difference against the control over time."""
    from luna.errors import NotFound
    from luna.experiments.report import report

    engine = create_db_engine(get_settings())
    try:
        with Session(engine) as session:
            path = report(session, key, Console(), out)
    except NotFound as exc:
        console.print(f"[red]{exc.detail}:[/red] {key}")
        raise typer.Exit(code=1) from exc
    finally:
        engine.dispose()
    console.print(f"Plot: {path}")


# `luna bench`: synthetic worlds, import, serve, wrk (luna.bench; README "Benchmarks").
app.command()(bench_command.bench)


# Offline evaluation, training and the check-in converter (bodies in luna.learning.commands).
def _register_learning_commands() -> None:
    from luna.learning import commands

    app.command("eval")(commands.eval_)
    app.command("train")(commands.train)
    app.command("import-checkins")(commands.import_checkins)


# `luna vibes refresh` (luna.vibes.commands).
def _register_vibes_commands() -> None:
    from luna.vibes.commands import app as vibes_app

    app.add_typer(vibes_app, name="vibes")


_register_learning_commands()
_register_vibes_commands()

if __name__ == "__main__":
    app()
