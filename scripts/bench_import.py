"""Benchmark `luna import` on PostgreSQL.

Generates a deterministic synthetic data set (gzipped CSV, default 10k users, 2k venues,
100k social edges, 1M interactions) in a temp folder, imports it into a fresh database
`luna_bench_<random>` (migrated with Alembic, dropped at the end) and prints seconds and rows/s
per file. The target is 1M interactions in well under a minute.

    uv run python scripts/bench_import.py [--interactions 1000000] [--url postgresql://...]

--url is a server's admin URL (default: LUNA_TEST_POSTGRES_URL or the local server).
"""

import argparse
import csv
import gzip
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from scratchdb import DEFAULT_ADMIN_URL, scratch_database
from sqlalchemy.engine import make_url

from luna.bulk import import_directory
from luna.config import Settings
from luna.db import create_db_engine

CATEGORIES = ["bar", "cafe", "coffee-shop", "restaurant", "club", "museum", "park", "gallery"]
KINDS = ["view", "view", "view", "interest", "like"]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _writer(path: Path) -> tuple[TextIO, Any]:
    handle = gzip.open(path, "wt", encoding="utf-8", newline="", compresslevel=6)
    return handle, csv.writer(handle)


def generate(folder: Path, users: int, venues: int, edges: int, interactions: int) -> None:
    """Deterministic: the same arguments give the same files."""
    rng = random.Random(20261125)
    user_ids = [_uuid(rng) for _ in range(users)]
    venue_ids = [_uuid(rng) for _ in range(venues)]

    handle, out = _writer(folder / "users.csv.gz")
    out.writerow(["id", "handle", "name", "age", "home_lat", "home_lng"])
    for n, user_id in enumerate(user_ids):
        home = (round(rng.uniform(40.5, 40.9), 6), round(rng.uniform(-74.1, -73.7), 6))
        age = rng.randint(18, 80) if n % 5 else ""
        out.writerow([user_id, f"user{n}", f"User {n}", age, *(home if n % 7 else ("", ""))])
    handle.close()

    handle, out = _writer(folder / "venues.csv.gz")
    out.writerow(["id", "name", "description", "category", "lat", "lng", "price_level", "rating"])
    for n, venue_id in enumerate(venue_ids):
        out.writerow(
            [
                venue_id,
                f"Venue {n}",
                f"A nice place, number {n}" if n % 3 else "",
                CATEGORIES[n % len(CATEGORIES)],
                round(rng.uniform(40.5, 40.9), 6),
                round(rng.uniform(-74.1, -73.7), 6),
                rng.randint(1, 4),
                round(rng.uniform(0, 5), 1),
            ]
        )
    handle.close()

    handle, out = _writer(folder / "social_edges.csv.gz")
    out.writerow(["user_id", "other_user_id", "relationship_type", "strength"])
    per_user = max(1, edges // users)
    for n, user_id in enumerate(user_ids):
        for other in rng.sample(range(users - 1), per_user):
            other += other >= n  # never the user themselves
            kind = rng.choice(("friend", "mutual", "suggested"))
            out.writerow([user_id, user_ids[other], kind, round(rng.random(), 3)])
    handle.close()

    handle, out = _writer(folder / "interactions.csv.gz")
    out.writerow(["user_id", "venue_id", "interaction_type", "dwell_time_seconds", "occurred_at"])
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for _ in range(interactions):
        when = start + timedelta(seconds=rng.randrange(365 * 86400))
        out.writerow(
            [
                user_ids[rng.randrange(users)],
                venue_ids[rng.randrange(venues)],
                rng.choice(KINDS),
                rng.randrange(600),
                when.isoformat(),
            ]
        )
    handle.close()


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
            for path in sorted(folder.iterdir(), key=_load_order):
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
