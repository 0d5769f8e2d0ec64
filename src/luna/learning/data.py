"""The check-in log as numpy arrays: what evaluation and training read.

A log is one row per event (a check-in, or a positive interaction from Luna's database),
sorted by time. Times are epoch seconds; `local` is the person's wall clock (UTC plus the
row's offset), used for time-of-day features.
"""

import csv
import gzip
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np


def _repository_data() -> Path:
    """The repository's own `data/` folder, the one place that says where the check-ins are.

    Found from this file (src/luna/learning/data.py, three levels below the repository's root):
    `uv sync` installs Luna editable, so this holds from any working directory. An install that
    copied the package elsewhere falls back to `data/` under the working directory (the
    repository's root, where the README's commands run).
    """
    beside_src = Path(__file__).resolve().parents[3] / "data"
    return beside_src if beside_src.is_dir() else Path("data")


DEFAULT_DATA = _repository_data()
DEFAULT_CHECKINS = DEFAULT_DATA / "foursquare_nyc_checkins.csv.gz"
DAY = 86_400
WEEK = 7 * DAY


@dataclass(frozen=True)
class CheckinLog:
    """Events sorted by `utc`. Users and venues are dense codes (0..n-1) into `user_keys` and
    `venue_keys`; each venue has one place (`venue_lat`, `venue_lng`) and one category name."""

    user: np.ndarray  # int32, code into user_keys
    venue: np.ndarray  # int32, code into venue_keys
    utc: np.ndarray  # int64 epoch seconds
    local: np.ndarray  # int64 epoch seconds on the local wall clock
    user_keys: np.ndarray  # original ids (int64 or object)
    venue_keys: np.ndarray
    venue_lat: np.ndarray  # float64, per venue code
    venue_lng: np.ndarray
    venue_category: np.ndarray  # object (str), per venue code

    @property
    def n_users(self) -> int:
        return len(self.user_keys)

    @property
    def n_venues(self) -> int:
        return len(self.venue_keys)

    def __len__(self) -> int:
        return len(self.user)

    def take(self, mask: np.ndarray) -> "CheckinLog":
        """The events where `mask` holds (same user and venue codes)."""
        return CheckinLog(
            self.user[mask],
            self.venue[mask],
            self.utc[mask],
            self.local[mask],
            self.user_keys,
            self.venue_keys,
            self.venue_lat,
            self.venue_lng,
            self.venue_category,
        )

    def before(self, cutoff: int) -> "CheckinLog":
        return self.take(self.utc < cutoff)

    def between(self, start: int, end: int) -> "CheckinLog":
        return self.take((self.utc >= start) & (self.utc < end))


def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def load_foursquare(path: Path = DEFAULT_CHECKINS, max_users: int | None = None) -> CheckinLog:
    """Reads the Foursquare NYC file (see data/README.md).

    Exact duplicate rows are dropped (215 in the file). A venue's place and category are those
    of its first check-in (some venues appear with slightly different coordinates).
    `max_users` keeps the people with the smallest ids only (small, fast slices for tests).
    """
    opener = gzip.open if path.suffix == ".gz" else open
    seen: set[tuple[str, ...]] = set()
    users, venues, utc, local = [], [], [], []
    places: dict[int, tuple[float, float, str]] = {}
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row["user_id"], row["venue_id"], row["utc_time"])
            if key in seen:
                continue
            seen.add(key)
            user = int(row["user_id"])
            if max_users is not None and user > max_users:
                continue
            venue = int(row["venue_id"])
            if venue not in places:
                places[venue] = (float(row["lat"]), float(row["lng"]), row["category"])
            seconds = _epoch(row["utc_time"])
            users.append(user)
            venues.append(venue)
            utc.append(seconds)
            local.append(seconds + 60 * int(row["tz_offset_min"]))
    return build_log(np.array(users), np.array(venues), np.array(utc), np.array(local), places)


def build_log(
    users: np.ndarray,
    venues: np.ndarray,
    utc: np.ndarray,
    local: np.ndarray,
    places: dict,
) -> CheckinLog:
    """A log from raw keys: codes users and venues densely (sorted keys) and sorts by time.
    `places` maps each venue key to (lat, lng, category)."""
    user_keys, user_codes = np.unique(users, return_inverse=True)
    venue_keys = np.array(sorted(places), dtype=object if _has_objects(places) else np.int64)
    venue_index = {key: code for code, key in enumerate(venue_keys.tolist())}
    venue_codes = np.fromiter((venue_index[v] for v in venues.tolist()), np.int32, len(venues))
    order = np.argsort(np.asarray(utc, dtype=np.int64), kind="stable")
    lat = np.array([places[k][0] for k in venue_keys.tolist()], dtype=np.float64)
    lng = np.array([places[k][1] for k in venue_keys.tolist()], dtype=np.float64)
    category = np.array([places[k][2] for k in venue_keys.tolist()], dtype=object)
    return CheckinLog(
        user_codes.astype(np.int32)[order],
        venue_codes[order],
        np.asarray(utc, dtype=np.int64)[order],
        np.asarray(local, dtype=np.int64)[order],
        user_keys,
        venue_keys,
        lat,
        lng,
        category,
    )


def _has_objects(places: dict) -> bool:
    return any(not isinstance(key, int | np.integer) for key in places)
