"""`luna import DIR`: bulk-load the CSV files of SPEC §5.

users, venues and social edges are upserted (by id, edges by their pair); interactions are
appended. pyarrow reads the files (luna.bulk.reader); rows pass the API's validation rules
(luna.bulk.formats); the first bad row stops the import with its file and line number.
"""

from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from sqlalchemy import Engine
from sqlalchemy.exc import DataError, IntegrityError

from luna.bulk.errors import BulkImportError
from luna.bulk.formats import INTERACTIONS, VENUES, FileSpec
from luna.bulk.reader import BulkFile, find_files
from luna.bulk.store import Staging
from luna.models.base import utcnow

__all__ = ["BulkImportError", "import_directory"]


def import_directory(engine: Engine, directory: Path, console: Console) -> dict[str, int]:
    """Loads users, venues, social_edges and interactions (.csv or .csv.gz) found in `directory`,
    in that order, and returns the number of rows loaded per file name.

    Each file is loaded in its own transaction: a file with a bad row leaves nothing of itself
    behind, but the files loaded before it stay loaded (they were valid on their own, and
    re-running the import is safe for them since they are upserted). Raises BulkImportError.
    A large interactions file locks that table while it loads (see luna.bulk.store).
    """
    files = find_files(directory)
    summary: dict[str, int] = {}
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        for spec, path in files:
            summary[path.name] = _import_file(engine, spec, path, progress)
    if engine.dialect.name == "postgresql":
        _vacuum(engine, [spec for spec, _ in files])
    return summary


def _import_file(engine: Engine, spec: FileSpec, path: Path, progress: Progress) -> int:
    """One file, one transaction: stage every row, check, then merge (see luna.bulk.store)."""
    name = path.name
    task = progress.add_task(name, total=path.stat().st_size)
    now = utcnow()
    source = BulkFile(spec, path, now)
    dbapi = engine.dialect.loaded_dbapi  # COPY goes through the driver directly
    try:
        with engine.begin() as conn, Staging(conn, spec) as staging:
            staging.load(source.tables(lambda raw: progress.wrap_file(raw, task_id=task)))
            _describe(progress, task, f"{name}: checking")
            problems = [p for p in (source.error, staging.first_problem()) if p is not None]
            if problems:
                line, message = min(problems)
                raise BulkImportError(f"{name} line {line}: {message}")
            _describe(progress, task, f"{name}: saving")
            count = staging.merge(now)
    except (IntegrityError, DataError, dbapi.IntegrityError, dbapi.DataError) as exc:
        # The checks above should leave the database nothing to refuse; if it still does,
        # say which file it was (there is no line number to give).
        _describe(progress, task, f"[red]{name}: failed")
        reason = getattr(exc, "orig", exc)
        raise BulkImportError(f"{name}: the database refused the rows ({reason})") from exc
    except BaseException:
        _describe(progress, task, f"[red]{name}: failed")
        raise
    _describe(progress, task, f"{name}: {count:,} rows")
    return count


def _vacuum(engine: Engine, loaded: list[FileSpec]) -> None:
    """As PostgreSQL advises after a bulk load: VACUUM sets the hint bits and the visibility
    map of the new rows once, here, instead of in the first requests that read them (a people
    recommendation right after an import of S3 dirtied ~130 pages of edges and category
    totals), and the engagement reads of interactions become index-only at once. Autovacuum
    would get there too, later. The tables were ANALYZEd as they were merged."""
    tables = [spec.stem for spec in loaded]
    if INTERACTIONS in loaded or VENUES in loaded:
        tables.append("category_engagement")  # moved by the triggers on both
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            conn.exec_driver_sql(f"VACUUM {table}")


def _describe(progress: Progress, task: TaskID, description: str) -> None:
    progress.update(task, description=description)
