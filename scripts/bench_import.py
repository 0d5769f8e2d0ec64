"""Benchmark `luna import` on PostgreSQL.

Generates a deterministic synthetic data set with luna.bench.synthetic (gzipped CSV, default
10k users, 2k venues, 100k social edges, 1M interactions) in a temp folder, imports it into a fresh database
`luna_bench_<random>` (migrated with Alembic, dropped at the end) and prints seconds and rows/s
per file. The target is 1M interactions in well under a minute.

    uv run python scripts/bench_import.py [--interactions 1000000] [--url postgresql://...]

--url is a server's admin URL (default: LUNA_TEST_POSTGRES_URL or the local server).
"""

import argparse
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from scratchdb import DEFAULT_ADMIN_URL, scratch_database
from sqlalchemy.engine import make_url

from luna.bench import synthetic
from luna.bulk import import_directory
from luna.config import Settings
from luna.db import create_db_engine


def generate(folder: Path, users: int, venues: int, edges: int, interactions: int) -> None:
    """Deterministic: the same arguments give the same files (luna.bench.synthetic's world)."""
    scale = synthetic.Scale("custom", users, venues, interactions, edges)
    synthetic.generate(scale, folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--venues", type=int, default=2_000)
    parser.add_argument("--edges", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--url", default=DEFAULT_ADMIN_URL, help="admin URL of a PostgreSQL server")
    args = parser.parse_args()
    console = Console(stderr=True)

    with tempfile.TemporaryDirectory(prefix="luna-bench-") as tmp:
        folder = Path(tmp)
        began = time.perf_counter()
        generate(folder, args.users, args.venues, args.edges, args.interactions)
        console.print(f"generated the data set in {time.perf_counter() - began:.1f} s")

        with scratch_database("luna_bench", args.url) as url:
            engine = create_db_engine(Settings(database_url=url))
            name = make_url(url).database
            table = Table("file", "rows", "seconds", "rows/s", title=f"luna import ({name})")
            total_rows, total_seconds = 0, 0.0
            # One file at a time (each in a folder of its own) to time them separately.
            for path in sorted(folder.glob("*.csv.gz"), key=_load_order):
                single = folder / f"only-{path.name}"
                single.mkdir()
                (single / path.name).symlink_to(path)
                began = time.perf_counter()
                rows = import_directory(engine, single, console)[path.name]
                seconds = time.perf_counter() - began
                total_rows += rows
                total_seconds += seconds
                table.add_row(path.name, f"{rows:,}", f"{seconds:.2f}", f"{rows / seconds:,.0f}")
            table.add_row(
                "total",
                f"{total_rows:,}",
                f"{total_seconds:.2f}",
                f"{total_rows / total_seconds:,.0f}",
            )
            engine.dispose()
            Console().print(table)


def _load_order(path: Path) -> int:
    order = ["users", "venues", "social_edges", "interactions"]
    return order.index(path.name.split(".")[0])


if __name__ == "__main__":
    main()
