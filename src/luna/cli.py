"""The `luna` command: serve, migrate, seed, import."""

from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from luna.config import get_settings
from luna.db import create_db_engine
from luna.migrate import upgrade

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
    settings = get_settings()
    engine = create_db_engine(settings)
    upgrade(engine)
    load_demo = settings.uses_default_database if demo is None else demo
    if load_demo:
        from luna.demo import seed_demo

        if seed_demo(engine):
            console.print("[green]Loaded the demo data set.[/green]")
    engine.dispose()
    console.print(f"Luna on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(
        "luna.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
    )


@app.command()
def migrate() -> None:
    """Apply schema migrations (Alembic) up to the latest revision."""
    engine = create_db_engine(get_settings())
    upgrade(engine)
    engine.dispose()
    console.print("[green]Database schema is up to date.[/green]")


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


if __name__ == "__main__":
    app()
