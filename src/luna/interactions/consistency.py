"""The tables derived from interactions, against a recount (`luna check`).

`category_engagement` is kept by the database's triggers and `popularity_windows` by the venue
index; neither should ever differ from a recount, and this is how an operator makes sure.
"""

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from luna.interactions import consistency_repository, popularity_repository
from luna.reco.index import window_cutoff


@dataclass(frozen=True, slots=True)
class Difference:
    table: str
    key: str
    stored: str
    recount: str


def find_differences(session: Session, refresh_seconds: float, limit: int) -> list[Difference]:
    """Up to `limit` differences per table between what is stored and a recount. Stored
    windows are checked only when the index uses windows (`refresh_seconds` > 0): only then
    is a window's cut known, and only then are they read."""
    totals = consistency_repository.category_engagement_differences(session, limit)
    found = [
        Difference(
            "category_engagement",
            f"{user_id} {category}",
            _totals(stored),
            _totals(recount),
        )
        for user_id, category, stored, recount in totals
    ]
    windows = (
        popularity_repository.stored_popularity_windows(session) if refresh_seconds > 0 else {}
    )
    for window, counts in sorted(windows.items()):
        cutoff = window_cutoff(window, refresh_seconds)
        recount = popularity_repository.positive_counts_by_venue(session, recorded_before=cutoff)
        differing = sorted(
            venue
            for venue in counts.keys() | recount.keys()
            if _count(counts, venue) != _count(recount, venue)
        )
        found += [
            Difference(
                "popularity_windows",
                f"window {window} ({cutoff:%Y-%m-%d %H:%M:%S}) venue {venue}",
                str(_count(counts, venue)),
                str(_count(recount, venue)),
            )
            for venue in differing[:limit]
        ]
    return found


def repair(session: Session) -> None:
    """Recounts the totals and forgets the stored windows (the next one counts everything).
    The caller commits."""
    consistency_repository.rebuild_category_engagement(session)
    popularity_repository.forget_popularity_windows(session)


def _totals(totals: tuple[int, int]) -> str:
    positive, dwell = totals
    return f"{positive} positive, {dwell} s"


def _count(counts: dict[uuid.UUID, int], venue: uuid.UUID) -> int:
    return counts.get(venue, 0)
