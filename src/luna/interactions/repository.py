"""All SQL about interactions, including the engagement aggregates the recommenders read."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, delete, func, insert, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from luna.db_reader import Reader
from luna.models import (
    POSITIVE_INTERACTION_TYPES,
    CategoryEngagement,
    Interaction,
    InteractionType,
    SocialEdge,
    User,
    Venue,
)
from luna.schemas import Page

# Aggregates shared by the queries below: positive count and total dwell of a group of rows.
_is_positive = Interaction.interaction_type.in_(POSITIVE_INTERACTION_TYPES)
positive_count = func.count().filter(_is_positive)
dwell_sum = func.coalesce(func.sum(Interaction.dwell_time_seconds), 0)


_COPY_COLUMNS = (
    "id",
    "user_id",
    "venue_id",
    "interaction_type",
    "dwell_time_seconds",
    "occurred_at",
    "created_at",
)


def bulk_insert(session: Session, rows: list[dict[str, Any]]) -> None:
    """Many rows at once: COPY on PostgreSQL (several times faster than multi-row INSERTs for
    a batch of thousands), Core executemany elsewhere; no ORM unit of work either way."""
    connection = session.connection()
    if connection.dialect.name != "postgresql" or len(rows) < 50:
        connection.execute(insert(Interaction.__table__), rows)
        return
    dbapi = connection.connection.driver_connection
    with (
        dbapi.cursor() as cursor,
        cursor.copy(f"COPY interactions ({', '.join(_COPY_COLUMNS)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([_copy_value(row[column]) for column in _COPY_COLUMNS])


def _copy_value(value: Any) -> Any:
    return value.value if isinstance(value, InteractionType) else value


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


def list_for_user(session: Session, user_id: uuid.UUID, page: Page) -> Sequence[Interaction]:
    stmt = (
        select(Interaction)
        .where(Interaction.user_id == user_id)
        .order_by(Interaction.occurred_at.desc(), Interaction.id)
        .limit(page.limit)
        .offset(page.offset)
    )
    return session.scalars(stmt).all()


def positive_counts_by_venue(
    session: Session, recorded_before: datetime | None = None
) -> dict[uuid.UUID, int]:
    """Positive interactions per venue, all users (global popularity); with
    `recorded_before`, only those Luna recorded (created_at) before that time."""
    stmt = select(Interaction.venue_id, func.count()).where(_is_positive)
    if recorded_before is not None:
        stmt = stmt.where(Interaction.created_at < recorded_before)
    stmt = stmt.group_by(Interaction.venue_id)
    return {venue_id: count for venue_id, count in session.execute(stmt)}


_HOME_AND_ENGAGEMENT = (
    select(User.home_lat, User.home_lng, Interaction.venue_id, positive_count, dwell_sum)
    .select_from(User)
    .outerjoin(Interaction, Interaction.user_id == User.id)
    .where(User.id == bindparam("user_id"))
    .group_by(User.home_lat, User.home_lng, Interaction.venue_id)
)


async def home_and_engagement(
    reader: Reader, user_id: uuid.UUID
) -> tuple[tuple[float, float] | None, list[tuple[uuid.UUID, int, int]]] | None:
    """One statement for what a venue recommendation needs of one person: their home and
    (venue, positive count, dwell seconds) per venue they interacted with. None: no such user.
    On the hot-read path (luna.db_reader)."""
    rows = await reader.rows(_HOME_AND_ENGAGEMENT, {"user_id": user_id})
    if not rows:
        return None
    lat, lng = rows[0][0], rows[0][1]
    home = (lat, lng) if lat is not None and lng is not None else None
    engagement = [(vid, int(pos), int(dwell)) for _, _, vid, pos, dwell in rows if vid is not None]
    return home, engagement


def engagement_by_venue(session: Session, user_id: uuid.UUID) -> dict[uuid.UUID, tuple[int, int]]:
    """(positive count, dwell seconds) of one user per venue they interacted with."""
    stmt = (
        select(Interaction.venue_id, positive_count, dwell_sum)
        .where(Interaction.user_id == user_id)
        .group_by(Interaction.venue_id)
    )
    return {venue_id: (int(pos), int(dwell)) for venue_id, pos, dwell in session.execute(stmt)}


def companion_engagement_at_venue(
    session: Session, user_id: uuid.UUID, venue_id: uuid.UUID
) -> dict[uuid.UUID, tuple[int, int]]:
    """(positive count, dwell) at one venue of everyone `user_id` has an outgoing edge to."""
    stmt = (
        select(Interaction.user_id, positive_count, dwell_sum)
        .join(SocialEdge, SocialEdge.other_user_id == Interaction.user_id)
        .where(SocialEdge.user_id == user_id, Interaction.venue_id == venue_id)
        .group_by(Interaction.user_id)
    )
    return {uid: (int(pos), int(dwell)) for uid, pos, dwell in session.execute(stmt)}


def companion_engagement_in_category(
    session: Session, user_id: uuid.UUID, category: str
) -> dict[uuid.UUID, tuple[int, int]]:
    """(positive count, dwell) over all venues of a category, per companion of `user_id`
    (one row per companion, from the running totals)."""
    stmt = (
        select(
            CategoryEngagement.user_id,
            CategoryEngagement.positive_count,
            CategoryEngagement.dwell_seconds,
        )
        .join(SocialEdge, SocialEdge.other_user_id == CategoryEngagement.user_id)
        .where(SocialEdge.user_id == user_id, CategoryEngagement.category == category)
    )
    return {uid: (int(pos), int(dwell)) for uid, pos, dwell in session.execute(stmt)}


def companion_engagement_in_category_from_interactions(
    session: Session, user_id: uuid.UUID, category: str
) -> dict[uuid.UUID, tuple[int, int]]:
    """The same as `companion_engagement_in_category`, summed from every interaction of every
    companion (LUNA_RECO_ENGINE=reference; a check on the running totals)."""
    stmt = (
        select(Interaction.user_id, positive_count, dwell_sum)
        .join(SocialEdge, SocialEdge.other_user_id == Interaction.user_id)
        .join(Venue, Venue.id == Interaction.venue_id)
        .where(SocialEdge.user_id == user_id, Venue.category == category)
        .group_by(Interaction.user_id)
    )
    return {uid: (int(pos), int(dwell)) for uid, pos, dwell in session.execute(stmt)}


def add_category_engagement(
    session: Session, deltas: Iterable[tuple[uuid.UUID, str | None, bool, int]]
) -> None:
    """Adds interactions (user, venue category, positive?, dwell) to the running totals of
    `category_engagement`, in one statement; venues without a category count nowhere."""
    totals: dict[tuple[uuid.UUID, str], list[int]] = {}
    for user_id, category, positive, dwell in deltas:
        if category is not None:
            total = totals.setdefault((user_id, category), [0, 0])
            total[0] += positive
            total[1] += dwell
    if not totals:
        return
    # In key order: concurrent batches then lock shared rows in the same order (no deadlock).
    ordered = sorted(totals.items())
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # One statement over arrays instead of one upsert per row.
        connection.exec_driver_sql(
            _UPSERT_CATEGORY_ARRAYS,
            (
                [uid for (uid, _), _ in ordered],
                [cat for (_, cat), _ in ordered],
                [pos for _, (pos, _) in ordered],
                [dwell for _, (_, dwell) in ordered],
            ),
        )
        return
    stmt = sqlite_insert(CategoryEngagement)
    stmt = stmt.on_conflict_do_update(
        index_elements=[CategoryEngagement.user_id, CategoryEngagement.category],
        set_={
            "positive_count": CategoryEngagement.positive_count + stmt.excluded.positive_count,
            "dwell_seconds": CategoryEngagement.dwell_seconds + stmt.excluded.dwell_seconds,
        },
    )
    rows = [
        {"user_id": uid, "category": cat, "positive_count": pos, "dwell_seconds": dwell}
        for (uid, cat), (pos, dwell) in ordered
    ]
    connection.execute(stmt, rows)


_UPSERT_CATEGORY_ARRAYS = """
    INSERT INTO category_engagement (user_id, category, positive_count, dwell_seconds)
    SELECT * FROM unnest(%s::uuid[], %s::varchar[], %s::bigint[], %s::bigint[])
    ON CONFLICT (user_id, category) DO UPDATE SET
        positive_count = category_engagement.positive_count + excluded.positive_count,
        dwell_seconds = category_engagement.dwell_seconds + excluded.dwell_seconds
"""


def _category_totals(*conditions: ColumnElement[bool]) -> Select[Any]:
    """(user, category, positive count, dwell) of the interactions meeting `conditions`, at
    venues that have a category: what `category_engagement` holds."""
    return (
        select(Interaction.user_id, Venue.category, positive_count, dwell_sum)
        .join(Venue, Venue.id == Interaction.venue_id)
        .where(Venue.category.is_not(None), *conditions)
        .group_by(Interaction.user_id, Venue.category)
    )


def recount_category_engagement_of_visitors(session: Session, venue_id: uuid.UUID) -> None:
    """Recomputes the running totals of everyone who interacted with a venue, from their
    interactions (after the venue's category changed)."""
    visitors = select(Interaction.user_id).where(Interaction.venue_id == venue_id)
    session.execute(delete(CategoryEngagement).where(CategoryEngagement.user_id.in_(visitors)))
    session.execute(
        insert(CategoryEngagement).from_select(
            ["user_id", "category", "positive_count", "dwell_seconds"],
            _category_totals(Interaction.user_id.in_(visitors)),
        )
    )


def category_engagement_from_interactions(
    session: Session,
) -> dict[tuple[uuid.UUID, str], tuple[int, int]]:
    """What `category_engagement` must hold, computed from scratch (for tests and checks)."""
    rows = session.execute(_category_totals())
    return {(uid, cat): (int(pos), int(dwell)) for uid, cat, pos, dwell in rows}


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
