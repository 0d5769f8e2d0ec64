"""The catalog's venues bucketed in cells of about GRID_KM, for the learned ranker's
spatial work: every venue near a point, or inside a few boxes, without looking at the others
(`luna.learning.candidates`), and per-cell bounds (`PersonView.cell_density_upper`).
"""

import functools
import math
from dataclasses import dataclass

import numpy as np

from luna.geo import EARTH_RADIUS_KM

GRID_KM = 1.0
# Flat-earth km per degree, for distances within a city.
KM_PER_DEGREE_LAT = 110.57
KM_PER_DEGREE_LNG_EQUATOR = 111.32


def ranges(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """The concatenated aranges [starts[i], stops[i]), vectorised."""
    lengths = stops - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(total)


@dataclass(frozen=True)
class VenueGrid:
    """The venues bucketed in cells of about GRID_KM (by latitude and longitude), to find
    every venue inside a few latitude/longitude boxes without looking at the others."""

    lat0: float
    lng0: float
    cell_lat: float  # degrees
    cell_lng: float
    n_rows: int
    n_cols: int
    keys: np.ndarray  # sorted cell keys (row * n_cols + column) of `order`
    order: np.ndarray  # positions sorted by cell key
    cell_of: np.ndarray  # per venue: its cell, an index into the arrays below
    lat_bounds: np.ndarray  # (2, n_cells) latitude bounds of each cell holding venues
    lng_bounds: np.ndarray  # (2, n_cells)

    @classmethod
    def build(cls, lat: np.ndarray, lng: np.ndarray, cos_lat: float) -> "VenueGrid":
        cell_lat = GRID_KM / KM_PER_DEGREE_LAT
        cell_lng = GRID_KM / (KM_PER_DEGREE_LNG_EQUATOR * max(cos_lat, 0.01))
        lat0 = float(lat.min()) if len(lat) else 0.0
        lng0 = float(lng.min()) if len(lng) else 0.0
        rows = np.floor((lat - lat0) / cell_lat).astype(np.int64)
        cols = np.floor((lng - lng0) / cell_lng).astype(np.int64)
        n_rows = int(rows.max(initial=0)) + 1
        n_cols = int(cols.max(initial=0)) + 1
        keys = rows * n_cols + cols
        order = np.argsort(keys, kind="stable")
        cells, cell_of = np.unique(keys, return_inverse=True)
        lat_lo = lat0 + (cells // n_cols) * cell_lat
        lng_lo = lng0 + (cells % n_cols) * cell_lng
        # Widened a little: a venue on a cell's edge may sit in either cell.
        margin_lat, margin_lng = cell_lat * 1e-6, cell_lng * 1e-6
        return cls(
            lat0,
            lng0,
            cell_lat,
            cell_lng,
            n_rows,
            n_cols,
            keys[order],
            order,
            cell_of.ravel(),
            np.stack([lat_lo - margin_lat, lat_lo + cell_lat + margin_lat]),
            np.stack([lng_lo - margin_lng, lng_lo + cell_lng + margin_lng]),
        )

    @functools.cached_property
    def cell_start(self) -> np.ndarray:
        """`order[cell_start[c]:cell_start[c + 1]]` are the venues of cell c (the cells
        are in key order, as `order`)."""
        counts = np.bincount(self.cell_of, minlength=self.lat_bounds.shape[1])
        return np.concatenate([[0], np.cumsum(counts)])

    def venues_in(self, cells: np.ndarray) -> np.ndarray:
        """The positions of every venue in `cells` (cell indices)."""
        start = self.cell_start
        return self.order[ranges(start[cells], start[cells + 1])]

    def boxes(
        self, lat_lo: np.ndarray, lat_hi: np.ndarray, lng_lo: np.ndarray, lng_hi: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every venue inside each box (and some just outside): (positions, box index).
        Boxes are in degrees; one crossing the antimeridian is not supported (the caller
        checks)."""
        eps = 1e-9
        r0 = np.floor((lat_lo - eps - self.lat0) / self.cell_lat).astype(np.int64)
        r1 = np.floor((lat_hi + eps - self.lat0) / self.cell_lat).astype(np.int64)
        c0 = np.floor((lng_lo - eps - self.lng0) / self.cell_lng).astype(np.int64)
        c1 = np.floor((lng_hi + eps - self.lng0) / self.cell_lng).astype(np.int64)
        r0, r1 = np.maximum(r0, 0), np.minimum(r1, self.n_rows - 1)
        c0, c1 = np.maximum(c0, 0), np.minimum(c1, self.n_cols - 1)
        n_box_rows = np.where((r1 >= r0) & (c1 >= c0), r1 - r0 + 1, 0)
        box = np.repeat(np.arange(len(r0)), n_box_rows)
        row = r0[box] + ranges(np.zeros(len(r0), np.int64), n_box_rows)
        starts = np.searchsorted(self.keys, row * self.n_cols + c0[box], "left")
        stops = np.searchsorted(self.keys, row * self.n_cols + c1[box], "right")
        return self.order[ranges(starts, stops)], np.repeat(box, stops - starts)


def near_home(grid: VenueGrid, home: tuple[float, float], km: float) -> np.ndarray | None:
    """Positions of every venue within `km` (haversine) of `home`, and some farther; None
    when the box around it cannot be searched (near a pole or the antimeridian)."""
    half_lat = math.degrees(km / EARTH_RADIUS_KM)
    phi1 = math.radians(home[0])
    # hav(d) >= cos(phi1) cos(phi2) hav(dlng), and |phi2| <= |phi1| + km / R.
    cos_both = math.cos(phi1) * math.cos(min(math.pi / 2, abs(phi1) + km / EARTH_RADIUS_KM))
    if cos_both <= 0:
        return None
    ratio = math.sin(km / EARTH_RADIUS_KM / 2) / math.sqrt(cos_both)
    if ratio >= 1:
        return None
    half_lng = math.degrees(2 * math.asin(ratio)) * 1.001
    if abs(home[1]) + half_lng >= 180:
        return None
    lat, lng = np.array([home[0]]), np.array([home[1]])
    positions, _ = grid.boxes(lat - half_lat, lat + half_lat, lng - half_lng, lng + half_lng)
    return positions
