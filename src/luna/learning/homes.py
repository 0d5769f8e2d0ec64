"""A person's home, estimated from their own check-ins (the data set has none).

Where someone lives is where they check in at home, or else where they are at night:

1. check-ins at a home venue (`Home (private)`, a residential building): the most visited
   one is home;
2. otherwise night-time check-ins (22:00 to 06:00 local time): the ~500 m grid cell with the
   most of them, averaged;
3. otherwise the same over all their check-ins (the centre of their life in the city);
4. no check-ins: no home (the heuristic's spatial term is then 0, as the contract says).
"""

import numpy as np

from luna.learning.catalog import HOME_CATEGORIES
from luna.learning.data import DAY, CheckinLog

NIGHT_START_HOUR = 22
NIGHT_END_HOUR = 6
# Grid cell of the night-time mode: 0.005° is ~550 m north-south and ~420 m east-west in NYC.
CELL_DEGREES = 0.005


def estimate_homes(log: CheckinLog) -> np.ndarray:
    """(n_users, 2) array of home (lat, lng) per user code; NaN where none can be told."""
    homes = np.full((log.n_users, 2), np.nan)
    is_home_venue = np.fromiter(
        (name in HOME_CATEGORIES for name in log.venue_category), bool, log.n_venues
    )
    hour = (log.local % DAY) // 3600
    night = (hour >= NIGHT_START_HOUR) | (hour < NIGHT_END_HOUR)
    at_home = is_home_venue[log.venue]
    order = np.argsort(log.user, kind="stable")
    bounds = np.searchsorted(log.user[order], np.arange(log.n_users + 1))
    for user in range(log.n_users):
        rows = order[bounds[user] : bounds[user + 1]]
        if len(rows) == 0:
            continue
        homes[user] = home_of(
            log.venue[rows], log.venue_lat, log.venue_lng, at_home[rows], night[rows]
        )
    return homes


def home_of(
    venues: np.ndarray,
    venue_lat: np.ndarray,
    venue_lng: np.ndarray,
    at_home: np.ndarray,
    night: np.ndarray,
) -> tuple[float, float]:
    """One person's home from their check-ins (venue codes and two boolean flags)."""
    if at_home.any():
        codes, counts = np.unique(venues[at_home], return_counts=True)
        best = codes[np.argmax(counts)]  # ties: the smallest code, deterministic
        return float(venue_lat[best]), float(venue_lng[best])
    chosen = venues[night] if night.any() else venues
    return densest_cell(venue_lat[chosen], venue_lng[chosen])


def densest_cell(lat: np.ndarray, lng: np.ndarray) -> tuple[float, float]:
    """Mean of the points in the grid cell holding the most of them."""
    cells = np.stack([np.floor(lat / CELL_DEGREES), np.floor(lng / CELL_DEGREES)], axis=1)
    _cells, inverse, counts = np.unique(cells, axis=0, return_inverse=True, return_counts=True)
    best = np.argmax(counts)
    inside = inverse.ravel() == best
    return float(lat[inside].mean()), float(lng[inside].mean())
