"""Bodies of `luna eval`, `luna train` and `luna import-checkins` (registered in luna.cli)."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from luna.learning.data import DEFAULT_CHECKINS

console = Console(stderr=True)


def eval_(
    data: Annotated[
        Path, typer.Option(exists=True, dir_okay=False, help="Foursquare check-ins (.csv[.gz])")
    ] = DEFAULT_CHECKINS,
    out: Annotated[
        Path, typer.Option(file_okay=False, help="Where the table, plot and model go")
    ] = Path("eval-out"),
    seed: Annotated[int, typer.Option(help="Seed of every random choice")] = 42,
    max_users: Annotated[
        int | None, typer.Option(help="Only people with ids up to this (a quick slice)")
    ] = None,
    next_visit_sample: Annotated[
        int, typer.Option(help="Test check-ins sampled for the next-visit task (seeded)")
    ] = 3_000,
    docs: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="Also write the tables into this page's `luna eval` blocks and the plots "
            "beside it (docs/evaluation.md)",
        ),
    ] = None,
    vibes: Annotated[
        bool,
        typer.Option(
            "--vibes", help="Evaluate the vibe learner instead (recovery, usefulness: luna.vibes)"
        ),
    ] = False,
) -> None:
    """Offline evaluation on real check-ins: baselines and the learned ranker, time split
    (with --vibes: the vibe learner's recovery and usefulness)."""
    from luna.learning.docs_page import DocsPageError

    if vibes:
        try:
            _eval_vibes(data, out, seed, max_users, docs)
        except DocsPageError as exc:
            console.print(f"[red]{docs}:[/red] {exc}")
            raise typer.Exit(code=1) from exc
        return
    from luna.learning.evaluate import EvalConfig, run

    config = EvalConfig(
        data=data,
        out=out,
        seed=seed,
        max_users=max_users,
        next_visit_sample=next_visit_sample,
        docs=docs,
    )
    try:
        report = run(config, console)
    except DocsPageError as exc:
        console.print(f"[red]{docs}:[/red] {exc}")
        raise typer.Exit(code=1) from exc
    console.print(
        f"Wrote {out}/evaluation.json, evaluation.md, evaluation.png, next_visit.png, "
        "venue_ranker.json"
    )
    if not report["goal"]["met"]:
        console.print("[yellow]The learned ranker does not meet the goal on this data.[/yellow]")


def _eval_vibes(data: Path, out: Path, seed: int, max_users: int | None, docs: Path | None) -> None:
    from luna.learning.docs_page import check_page, update_page
    from luna.vibes.evaluate import VibesEvalConfig, run

    if docs is not None:
        check_page(docs, ["vibes"])
    report = run(VibesEvalConfig(data=data, out=out, seed=seed, max_users=max_users), console)
    console.print(f"Wrote {out}/vibes.json, vibes.md, vibes_recovery.png, vibes_usefulness.png")
    if docs is not None:
        plots = [out / "vibes_recovery.png", out / "vibes_usefulness.png"]
        update_page(docs, {"vibes": (out / "vibes.md").read_text()}, plots)
    recovery, usefulness = report["recovery"], report["usefulness"]
    if not recovery["met"]:
        console.print(
            f"[yellow]Recovery: mean ROC AUC {recovery['mean_auc']:.3f} < "
            f"{recovery['goal']:.2f} (goal not met).[/yellow]"
        )
    if not usefulness["met"]:
        console.print(
            f"[yellow]Usefulness: {usefulness['pooled_relative_gain']:+.1%} < "
            f"+{usefulness['goal']:.0%} (goal not met).[/yellow]"
        )


def train(
    out: Annotated[
        Path | None, typer.Option(dir_okay=False, help="Model file (LUNA_VENUE_MODEL_PATH)")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of every random choice")] = 42,
) -> None:
    """Fit the learned venue ranker from the database (DATABASE_URL); write the model file."""
    from luna.config import get_settings
    from luna.db import create_db_engine
    from luna.learning.database import load_database
    from luna.learning.training import train_from_log

    settings = get_settings()
    path = out or Path(settings.luna_venue_model_path)
    engine = create_db_engine(settings)
    try:
        log, homes = load_database(engine)
    finally:
        engine.dispose()
    if len(log) == 0:
        console.print("[red]No positive interactions in the database: nothing to learn.[/red]")
        raise typer.Exit(code=1)
    try:
        model = train_from_log(log, homes, seed, console)
    except ValueError as exc:
        console.print(f"[red]Training failed:[/red] {exc}")
        raise typer.Exit(code=1) from exc
    # The data's time span; its "now" was the end: a replay of it wants LUNA_CLOCK near there.
    model.first_interaction_at = datetime.fromtimestamp(int(log.utc.min()), UTC)
    model.last_interaction_at = datetime.fromtimestamp(int(log.utc.max()), UTC)
    model.save(path)
    for name, result in model.metrics.items():
        console.print(
            f"{name}: NDCG@10 all visits {result['all']['ndcg@10']:.4f}, "
            f"new venues {result['new']['ndcg@10']:.4f}"
        )
    from luna.vibes.commands import refresh_database

    vibes = refresh_database(seed)
    console.print(f"Stored vibe profiles version {vibes['version']} (luna vibes refresh)")
    console.print(
        f"[green]Wrote {path}[/green] (LUNA_VENUE_MODEL=learned serves it); trained on "
        f"{model.first_interaction_at.isoformat()} to {model.last_interaction_at.isoformat()} "
        "(a replay of this data: set LUNA_CLOCK)"
    )


def import_checkins(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="Foursquare check-ins CSV")
    ],
    out: Annotated[Path, typer.Option(file_okay=False, help="Folder for the bulk files")] = Path(
        "checkins-import"
    ),
    max_users: Annotated[
        int | None, typer.Option(help="Only people with ids up to this (a quick slice)")
    ] = None,
    before: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d"],
            help="Only check-ins before this time (UTC unless it has an offset): hold a "
            "later period back",
        ),
    ] = None,
) -> None:
    """Convert Foursquare check-ins into Luna's bulk files (load them with `luna import`)."""
    from luna.learning.checkins_import import convert_checkins

    if before is not None and before.tzinfo is None:
        before = before.replace(tzinfo=UTC)
    counts = convert_checkins(file, out, max_users=max_users, before=before)
    for name, count in counts.items():
        console.print(f"{name}: {count:,} rows")
    console.print(f"Load them with: luna import {out}")
