"""The demo data set behind `luna seed` and `luna serve` (SPEC §4)."""

from luna.demo.seed import seed_demo

__all__ = ["seed_demo"]
