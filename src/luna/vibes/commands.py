"""`luna vibes refresh` (also run by `luna train`): learn every venue's vibe profile from the
database and store it as a new version."""

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress

console = Console(stderr=True)
app = typer.Typer(help="Vibes: venues' moods learned from behaviour (luna.vibes).")


def refresh_database(seed: int = 0) -> dict[str, Any]:
    """`luna.vibes.service.refresh` on the configured database, committed, with a progress
    bar."""
    from sqlalchemy.orm import Session

    from luna.config import get_settings
    from luna.db import create_db_engine
    from luna.vibes import service

    engine = create_db_engine(get_settings())
    try:
        with Progress(console=console, transient=True) as progress, Session(engine) as session:
            task = progress.add_task("vibes", total=3)

            def step(stage: str) -> None:
                if progress.tasks[0].description != "vibes":
                    progress.advance(task)
                progress.update(task, description=f"vibes: {stage}")

            result = service.refresh(session, seed, step)
            session.commit()
            progress.advance(task)
    finally:
        engine.dispose()
    return result


@app.command("refresh")
def refresh(seed: Annotated[int, typer.Option(help="Seed of every random choice")] = 0) -> None:
    """Learn every venue's vibe profile from the database (interactions, dwell, plans) and
    store it as a new version; serving picks it up at the venue index's next reload."""
    result = refresh_database(seed)
    console.print(
        f"[green]Stored vibe profiles version {result['version']}[/green]: "
        f"{result['venues']:,} venues ({result['venues_visited']:,} visited, "
        f"{result['venues_with_prior']:,} with a category prior), {result['events']:,} visits"
    )
