"""All SQL about popularity: positive interactions per venue, and the counts of each window of
the venue index that every server process shares (`popularity_windows`).

Plain statements only; when to reuse, add to or recount a window is `luna.reco.popularity`'s.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from luna.models import POSITIVE_INTERACTION_TYPES, Interaction, PopularityWindow

_is_positive = Interaction.interaction_type.in_(POSITIVE_INTERACTION_TYPES)
# The advisory lock of `lock_popularity_windows`.
_POPULARITY_LOCK = 0x6C756E61_706F70  # "luna pop"


def _on_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def positive_counts_by_venue(
    session: Session, recorded_before: datetime | None = None
) -> dict[uuid.UUID, int]:
    """Positive interactions per venue, all users (global popularity); with
    `recorded_before`, only those Luna recorded (created_at) before that time.

    On PostgreSQL without parallel workers, for this transaction: a parallel scan of every
    interaction takes every core, and every request in flight waits (docs/performance.md)."""
    if _on_postgres(session):
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    stmt = select(Interaction.venue_id, func.count()).where(_is_positive)
    if recorded_before is not None:
        stmt = stmt.where(Interaction.created_at < recorded_before)
    stmt = stmt.group_by(Interaction.venue_id)
    return {venue_id: count for venue_id, count in session.execute(stmt)}


def positive_counts_recorded_between(
    session: Session, start: datetime, end: datetime
) -> dict[uuid.UUID, int]:
    """Positive interactions per venue that Luna recorded (created_at) in [start, end)."""
    stmt = (
        select(Interaction.venue_id, func.count())
        .where(_is_positive, Interaction.created_at >= start, Interaction.created_at < end)
        .group_by(Interaction.venue_id)
    )
    return {venue_id: count for venue_id, count in session.execute(stmt)}


def lock_popularity_windows(session: Session) -> None:
    """PostgreSQL: until this transaction ends, no other process holds this lock, so one at a
    time computes a window (the others wait, then read it). SQLite has no such lock."""
    if _on_postgres(session):
        session.execute(select(func.pg_advisory_xact_lock(_POPULARITY_LOCK)))


def _counts(stored: dict[str, Any]) -> dict[uuid.UUID, int]:
    """A window's counts as stored (venue ids as 32 hex digits) read back."""
    return {uuid.UUID(hex=venue): int(n) for venue, n in stored.items()}


def stored_popularity_window(session: Session, window_index: int) -> dict[uuid.UUID, int] | None:
    """The stored counts of window `window_index`; None when no process stored them."""
    counts = session.scalar(
        select(PopularityWindow.counts).where(PopularityWindow.window_index == window_index)
    )
    return None if counts is None else _counts(counts)


def stored_popularity_windows(session: Session) -> dict[int, dict[uuid.UUID, int]]:
    """Every stored window's counts, by window index."""
    rows = session.execute(select(PopularityWindow.window_index, PopularityWindow.counts))
    return {index: _counts(counts) for index, counts in rows}


def store_popularity_window(
    session: Session, window_index: int, counts: dict[uuid.UUID, int]
) -> bool:
    """Stores window `window_index`'s counts unless that window is stored already; whether
    this call stored them."""
    dialect_insert = pg_insert if _on_postgres(session) else sqlite_insert
    stored = session.execute(
        dialect_insert(PopularityWindow)
        .values(window_index=window_index, counts={v.hex: n for v, n in counts.items()})
        .on_conflict_do_nothing()
    )
    return stored.rowcount != 0


def delete_popularity_windows_before(session: Session, window_index: int) -> None:
    """Deletes every stored window older than `window_index`."""
    session.execute(delete(PopularityWindow).where(PopularityWindow.window_index < window_index))


def forget_popularity_windows(session: Session) -> None:
    """After interactions are deleted or imported (possibly recorded before a stored window's
    cut): every process's next window counts them all again."""
    session.execute(delete(PopularityWindow))
