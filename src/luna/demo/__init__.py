"""The deterministic demo data set (`luna seed`, and `luna serve` on an empty default DB)."""

from luna.demo.seed import seed_demo, user_id

# Demo people `luna serve` prints ready tokens for (development only).
DEMO_TOKEN_HANDLES = ("maya_reads", "jonah_brews", "hannah_slope")

__all__ = ["DEMO_TOKEN_HANDLES", "seed_demo", "user_id"]
