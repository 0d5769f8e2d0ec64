"""What one `luna bench` run is asked to do (the command line's options)."""

from dataclasses import dataclass
from pathlib import Path

from luna.bench import BENCH_WRITE_RATE_LIMIT, DEFAULT_SEED
from luna.bench.database import DEFAULT_ADMIN_URL
from luna.bench.routes import ROUTES, Route


@dataclass
class BenchOptions:
    scales: list[str]
    out: Path = Path("bench-results")
    data_dir: Path = Path(".bench-data")
    database_url: str | None = None
    admin_url: str = DEFAULT_ADMIN_URL
    duration: int = 10
    warmup: int | None = None  # default: max(1, duration // 5)
    connections: int = 32
    workers: int = 2
    wrk_threads: int = 1
    seed: int = DEFAULT_SEED
    write_rate_limit: str = BENCH_WRITE_RATE_LIMIT
    merge: bool = False
    routes: tuple[Route, ...] = ROUTES

    @property
    def warmup_seconds(self) -> int:
        return self.warmup if self.warmup is not None else max(1, self.duration // 5)
