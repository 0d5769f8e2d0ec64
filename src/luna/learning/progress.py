"""The progress bar of the offline commands (`luna eval`, `luna eval --vibes`, `luna train`)."""

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def step_progress(console: Console) -> Progress:
    """Named steps, each with its count done and the time it has taken."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
