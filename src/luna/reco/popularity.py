"""A window's popularity counts, the same for every server process (see luna.reco.index).

This is the policy of the venue index's windows, so it lives beside the index, its only
caller: when a stored window is reused, when one is the window before plus what was recorded
in between, when everything is counted again, and which stored windows are kept. The SQL it
runs is `luna.interactions.popularity_repository`.
"""

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from luna.interactions import popularity_repository as repository


def popularity_at_window(
    session: Session,
    window_index: int,
    cutoff: datetime,
    previous_cutoff: datetime,
    count_all_every: int,
) -> dict[uuid.UUID, int]:
    """Positive interactions per venue recorded before `cutoff`, the cut of window
    `window_index`, the same for every server process (`PopularityWindow`): as stored, or
    computed now and stored, from the counts of window `window_index - 1` plus what was
    recorded from its cut (`previous_cutoff`) on. Without that window, and every
    `count_all_every` windows (a write that committed after its window's grace is then
    counted), from every interaction. The caller commits."""
    repository.lock_popularity_windows(session)
    stored = repository.stored_popularity_window(session, window_index)
    if stored is not None:
        return stored
    previous = (
        repository.stored_popularity_window(session, window_index - 1)
        if window_index % count_all_every != 0
        else None
    )
    if previous is None:
        counts = repository.positive_counts_by_venue(session, recorded_before=cutoff)
    else:
        counts = previous
        recorded = repository.positive_counts_recorded_between(session, previous_cutoff, cutoff)
        for venue_id, count in recorded.items():
            counts[venue_id] = counts.get(venue_id, 0) + count
    stored_now = repository.store_popularity_window(session, window_index, counts)
    repository.delete_popularity_windows_before(session, window_index - 1)
    if not stored_now:  # another process stored it first (SQLite has no lock)
        first = repository.stored_popularity_window(session, window_index)
        return counts if first is None else first
    return counts
