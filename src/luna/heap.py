"""Keeps Python's cyclic garbage collector's full passes off the request path.

A full collection scans every object the collector tracks: the ~160,000 a worker holds after
start-up (modules, models, routes, OpenAPI) took about 110 ms per pass here, and every request
in flight waits through it (it was most of the p99 under load in `luna bench`). What is alive
after start-up, and each venue index snapshot, lives as long as the process (or the window):
`freeze_long_lived` moves it out of the collector's sight, so a full pass scans only what
requests allocated since. Reference counting still frees frozen objects when they are dropped
(an old snapshot), only a frozen reference cycle would stay.
"""

import gc


def freeze_long_lived() -> None:
    """Collect what is garbage now, then freeze everything that survives."""
    gc.collect()
    gc.freeze()
