"""One home for "now" in recommendations: the service's clock.

Recency (days since a visit, and how it decays) counts from the moment a request asks about
(`at`) when it gives one, else from this clock: the wall clock, or `LUNA_CLOCK` when set (an
ISO-8601 time with an offset), which freezes it. A replay of 2012 check-ins then ranks as of
2012, not as if fourteen years had passed since.

Wall-clock durations (timeouts, cache ages, the venue index's windows) and the times rows are
written at (`luna.models.base.utcnow`) are not "now" in this sense and keep the real time.
"""

import time
from datetime import datetime


def now_seconds(frozen: datetime | None = None) -> int:
    """The service's now as UTC epoch seconds: `frozen` (LUNA_CLOCK, aware) when set, else
    the wall clock."""
    return int(frozen.timestamp()) if frozen is not None else int(time.time())
