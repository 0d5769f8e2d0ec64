"""A throwaway PostgreSQL database for benchmarks and long checks (see luna.bench.database)."""

from luna.bench.database import DEFAULT_ADMIN_URL, scratch_database

__all__ = ["DEFAULT_ADMIN_URL", "scratch_database"]
