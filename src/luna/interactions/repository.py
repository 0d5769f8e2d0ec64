"""All SQL about interactions themselves: recording them, a person's list, and the engagement
aggregates the recommenders read on every request.

Popularity and its stored windows are `popularity_repository`'s; the recount of the category
totals for `luna check` is `consistency_repository`'s.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import bindparam, func, insert, select, true
from sqlalchemy.orm import Session

from luna.interactions.schemas import BatchItem
from luna.models import (
    POSITIVE_INTERACTION_TYPES,
    CategoryEngagement,
    Interaction,
    User,
    Venue,
)
from luna.models.base import uuid7_hex
from luna.schemas import Page

# Aggregates shared by the queries below: positive count and total dwell of a group of rows.
_is_positive = Interaction.interaction_type.in_(POSITIVE_INTERACTION_TYPES)
positive_count = func.count().filter(_is_positive)
dwell_sum = func.coalesce(func.sum(Interaction.dwell_time_seconds), 0)


_INTERACTION_COLUMNS = (
    "id",
    "user_id",
    "venue_id",
    "interaction_type",
    "dwell_time_seconds",
    "occurred_at",
    "created_at",
)


def bulk_insert(session: Session, rows: list[dict[str, Any]]) -> None:
    """Rows in one Core executemany (no ORM unit of work); PostgreSQL batches take
    `insert_batch_staged`."""
    session.connection().execute(insert(Interaction.__table__), rows)


# A batch on PostgreSQL: COPY into a table of this transaction, then every check and write in
# SQL from there; Python only formats the COPY text, the least CPU of the ways tried
# (docs/performance.md, "Writes").
_STAGE_BATCH = """
    CREATE TEMPORARY TABLE interaction_batch (
        n integer, id uuid, user_id uuid, venue_id uuid, interaction_type varchar(16),
        dwell_time_seconds integer, occurred_at timestamptz, created_at timestamptz
    ) ON COMMIT DROP
"""
_FIRST_UNKNOWN = """
    SELECT b.n, u.id IS NULL
    FROM interaction_batch b
    LEFT JOIN users u ON u.id = b.user_id
    LEFT JOIN venues v ON v.id = b.venue_id
    WHERE u.id IS NULL OR v.id IS NULL
    ORDER BY b.n
    LIMIT 1
"""
_INSERT_STAGED = f"""
    INSERT INTO interactions ({", ".join(_INTERACTION_COLUMNS)})
    SELECT {", ".join(_INTERACTION_COLUMNS)} FROM interaction_batch
"""


def insert_batch_staged(
    session: Session, items: Sequence[BatchItem], now: datetime
) -> tuple[int, str] | None:
    """PostgreSQL: records every item, or none of them when a user or venue does not exist:
    then (the first such item's index, "User" or "Venue"), and the caller rolls back."""
    connection = session.connection()
    dbapi = connection.connection.driver_connection
    ids = uuid7_hex(len(items))
    now_text = now.isoformat()
    # No value needs escaping: uuids, an interaction type, integers, ISO 8601 times.
    payload = "".join(
        f"{n}\t{ids[n]}\t{item.user_id.hex}\t{item.venue_id.hex}\t"
        f"{item.interaction_type.value}\t{item.dwell_time_seconds}\t"
        f"{item.occurred_at.isoformat() if item.occurred_at else now_text}\t{now_text}\n"
        for n, item in enumerate(items)
    )
    with dbapi.cursor() as cursor:
        cursor.execute(_STAGE_BATCH)
        with cursor.copy("COPY interaction_batch FROM STDIN") as copy:
            copy.write(payload)
        # The foreign keys check every user and venue as the rows go in; only when one is
        # missing (rare) does a query find which item it was, after undoing the insert.
        savepoint = connection.begin_nested()
        try:
            cursor.execute(_INSERT_STAGED)
        except psycopg.errors.ForeignKeyViolation:
            savepoint.rollback()
            unknown = cursor.execute(_FIRST_UNKNOWN).fetchone()
            if unknown is None:  # the missing row appeared since (a race): a plain conflict
                raise
            index, user_missing = unknown
            return index, "User" if user_missing else "Venue"
        savepoint.commit()
    return None


_venue = select(Venue.id, Venue.category).where(Venue.id == bindparam("venue_id")).subquery()
# Always one row: (user id or NULL, venue id or NULL, category).
_USER_AND_VENUE = select(
    select(User.id).where(User.id == bindparam("user_id")).scalar_subquery(),
    select(_venue.c.id).scalar_subquery(),
    select(_venue.c.category).scalar_subquery(),
)


def user_and_venue(
    session: Session, user_id: uuid.UUID, venue_id: uuid.UUID | None
) -> tuple[bool, bool, str | None]:
    """(the user exists, the venue exists, its category) in one statement."""
    params = {"user_id": user_id, "venue_id": venue_id}
    user, venue, category = session.connection().execute(_USER_AND_VENUE, params).one()
    return user is not None, venue is not None, category


# One interaction in one statement, written only if both its user and its venue exist.
_columns = Interaction.__table__.c
_INSERT_ONE = (
    insert(Interaction.__table__)
    .from_select(
        list(_INTERACTION_COLUMNS),
        select(
            bindparam("id", type_=_columns.id.type),
            User.id,
            Venue.id,
            bindparam("interaction_type", type_=_columns.interaction_type.type),
            bindparam("dwell_time_seconds", type_=_columns.dwell_time_seconds.type),
            bindparam("occurred_at", type_=_columns.occurred_at.type),
            bindparam("created_at", type_=_columns.created_at.type),
        )
        .select_from(User)
        .join(Venue, true())  # one row when both exist, none otherwise
        .where(User.id == bindparam("user_id"), Venue.id == bindparam("venue_id")),
    )
    .returning(_columns.id)
)


def insert_one(session: Session, row: dict[str, Any]) -> bool:
    """Records the interaction `row`; False (nothing written) when its user or venue does
    not exist."""
    return session.execute(_INSERT_ONE, row).first() is not None


def list_for_user(session: Session, user_id: uuid.UUID, page: Page) -> Sequence[Interaction]:
    stmt = (
        select(Interaction)
        .where(Interaction.user_id == user_id)
        .order_by(Interaction.occurred_at.desc(), Interaction.id)
        .limit(page.limit)
        .offset(page.offset)
    )
    return session.scalars(stmt).all()


_HOME_AND_ENGAGEMENT = (
    select(User.home_lat, User.home_lng, Interaction.venue_id, positive_count, dwell_sum)
    .select_from(User)
    .outerjoin(Interaction, Interaction.user_id == User.id)
    .where(User.id == bindparam("user_id"))
    .group_by(User.home_lat, User.home_lng, Interaction.venue_id)
)


def home_and_engagement(
    session: Session, user_id: uuid.UUID
) -> tuple[tuple[float, float] | None, list[tuple[uuid.UUID, int, int]]] | None:
    """One statement for what a venue recommendation needs of one person: their home and
    (venue, positive count, dwell seconds) per venue they interacted with. None: no such user."""
    rows = session.connection().execute(_HOME_AND_ENGAGEMENT, {"user_id": user_id}).all()
    if not rows:
        return None
    lat, lng = rows[0][0], rows[0][1]
    home = (lat, lng) if lat is not None and lng is not None else None
    engagement = [(vid, int(pos), int(dwell)) for _, _, vid, pos, dwell in rows if vid is not None]
    return home, engagement


def engagement_by_user_and_venue(
    session: Session, user_ids: set[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID], tuple[int, int]]:
    """(positive count, dwell) per (user, venue) for several users at once (a group)."""
    if not user_ids:
        return {}
    stmt = (
        select(Interaction.user_id, Interaction.venue_id, positive_count, dwell_sum)
        .where(Interaction.user_id.in_(user_ids))
        .group_by(Interaction.user_id, Interaction.venue_id)
    )
    return {(uid, vid): (int(pos), int(dwell)) for uid, vid, pos, dwell in session.execute(stmt)}


def engagement_at_venue_of_users(
    session: Session, user_ids: set[uuid.UUID], venue_id: uuid.UUID
) -> dict[uuid.UUID, tuple[int, int]]:
    """(positive count, dwell) at one venue of each of the given users."""
    if not user_ids:
        return {}
    stmt = (
        select(Interaction.user_id, positive_count, dwell_sum)
        .where(Interaction.user_id.in_(user_ids), Interaction.venue_id == venue_id)
        .group_by(Interaction.user_id)
    )
    return {uid: (int(pos), int(dwell)) for uid, pos, dwell in session.execute(stmt)}


def engagement_in_category_of_users(
    session: Session, user_ids: set[uuid.UUID], category: str
) -> dict[uuid.UUID, tuple[int, int]]:
    """(positive count, dwell) over all venues of a category, for each of the given users."""
    if not user_ids:
        return {}
    stmt = select(
        CategoryEngagement.user_id,
        CategoryEngagement.positive_count,
        CategoryEngagement.dwell_seconds,
    ).where(CategoryEngagement.user_id.in_(user_ids), CategoryEngagement.category == category)
    return {uid: (int(pos), int(dwell)) for uid, pos, dwell in session.execute(stmt)}


def shared_venue_counts(session: Session, user_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """Co-visitation: for every user who interacted (any type) with a venue `user_id` also
    interacted with, the number of such distinct venues. `user_id` itself is in the result:
    its count is the number of distinct venues it visited."""
    visited = select(Interaction.venue_id).where(Interaction.user_id == user_id)
    stmt = (
        select(Interaction.user_id, func.count(func.distinct(Interaction.venue_id)))
        .where(Interaction.venue_id.in_(visited))
        .group_by(Interaction.user_id)
    )
    return {uid: int(n) for uid, n in session.execute(stmt)}
