"""`luna import-checkins FILE`: the Foursquare check-ins as Luna's bulk files (SPEC §5).

Mapping (`luna import DIR` loads the result):

- users.csv: one row per person; id = uuid5(NAMESPACE, "foursquare-user:<user_id>"),
  handle `fsq<user_id>`, name `Foursquare user <user_id>`, no age, home = the estimate of
  luna.learning.homes over all their check-ins (any category);
- venues.csv: the catalog venues only (luna.learning.catalog: going-out places), id =
  uuid5(NAMESPACE, "foursquare-venue:<venue_id>"), name `<category> #<venue_id>` (the data
  has no venue names), category = the Foursquare name as a Luna category (`Coffee Shop` ->
  `coffee-shop`), the coordinates of its first check-in, no price level or rating;
- interactions.csv: each check-in at a catalog venue, in time order; a person's first
  check-in at a venue is `interest` (they went), each later one `like` (they came back);
  no dwell time (the data has none), occurred_at = the check-in's UTC time;
- social_edges.csv: not written (the data has no social graph).

Ids are deterministic: converting again gives the same files, and importing them again
upserts the same people and venues.
"""

import csv
import gzip
import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from luna.learning.catalog import build_catalog, luna_category
from luna.learning.data import load_foursquare
from luna.learning.homes import estimate_homes

NAMESPACE = uuid.UUID("5b0f7c52-3d5e-5a43-9a55-6c756e614e59")


def user_uuid(key: object) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"foursquare-user:{key}")


def venue_uuid(key: object) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"foursquare-venue:{key}")


def convert_checkins(
    source: Path, out: Path, max_users: int | None = None, before: datetime | None = None
) -> dict[str, int]:
    """Writes users.csv.gz, venues.csv.gz and interactions.csv.gz to `out`; returns rows
    written per file. `before`: only the check-ins before that time (homes and the catalog
    too are drawn from those alone), as a replay that holds a later period back needs."""
    log = load_foursquare(source, max_users=max_users)
    if before is not None:
        log = log.before(int(before.timestamp()))
    catalog = build_catalog(log)
    homes = estimate_homes(log)
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    with _writer(
        out / "users.csv.gz", ("id", "handle", "name", "age", "home_lat", "home_lng")
    ) as w:
        for code, key in enumerate(log.user_keys.tolist()):
            lat, lng = homes[code]
            home = ("", "") if np.isnan(lat) else (f"{lat:.6f}", f"{lng:.6f}")
            w.writerow((user_uuid(key), f"fsq{key}", f"Foursquare user {key}", "", *home))
        counts["users.csv.gz"] = log.n_users
    header = ("id", "name", "description", "category", "lat", "lng", "price_level", "rating")
    with _writer(out / "venues.csv.gz", header) as w:
        for code in catalog.venues.tolist():
            key = log.venue_keys[code]
            name = str(log.venue_category[code])
            w.writerow(
                (
                    venue_uuid(key),
                    f"{name} #{key}",
                    "",
                    luna_category(name),
                    f"{log.venue_lat[code]:.6f}",
                    f"{log.venue_lng[code]:.6f}",
                    "",
                    "",
                )
            )
        counts["venues.csv.gz"] = len(catalog)
    header = ("user_id", "venue_id", "interaction_type", "dwell_time_seconds", "occurred_at")
    seen: set[tuple[int, int]] = set()
    rows = 0
    user_ids = [user_uuid(k) for k in log.user_keys.tolist()]
    venue_ids = {code: venue_uuid(log.venue_keys[code]) for code in catalog.venues.tolist()}
    with _writer(out / "interactions.csv.gz", header) as w:
        for user, venue, utc in zip(
            log.user.tolist(), log.venue.tolist(), log.utc.tolist(), strict=True
        ):
            if catalog.position[venue] < 0:
                continue
            kind = "like" if (user, venue) in seen else "interest"
            seen.add((user, venue))
            when = datetime.fromtimestamp(utc, UTC).isoformat().replace("+00:00", "Z")
            w.writerow((user_ids[user], venue_ids[venue], kind, "", when))
            rows += 1
        counts["interactions.csv.gz"] = rows
    return counts


@contextmanager
def _writer(path: Path, header: tuple[str, ...]) -> Iterator[Any]:
    """A gzip CSV writer with its header row (mtime 0: same input, same bytes)."""
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as packed,
        io.TextIOWrapper(packed, encoding="utf-8", newline="") as text,
    ):
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(header)
        yield writer
