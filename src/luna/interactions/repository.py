"""All SQL about interactions, including the engagement aggregates the recommenders read."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from luna.models import POSITIVE_INTERACTION_TYPES, Interaction, SocialEdge, User, Venue
from luna.schemas import Page

# Aggregates shared by the queries below: positive count and total dwell of a group of rows.
_is_positive = Interaction.interaction_type.in_(POSITIVE_INTERACTION_TYPES)
positive_count = func.count().filter(_is_positive)
dwell_sum = func.coalesce(func.sum(Interaction.dwell_time_seconds), 0)


def add(session: Session, interaction: Interaction) -> None:
    session.add(interaction)


def bulk_insert(session: Session, rows: list[dict[str, Any]]) -> None:
    """One multi-row INSERT per call (executemany): no ORM unit-of-work per row."""
    session.execute(insert(Interaction), rows)


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


def home_and_engagement(
    session: Session, user_id: uuid.UUID
) -> tuple[tuple[float, float] | None, list[tuple[uuid.UUID, int, int]]] | None:
    """One statement for what a venue recommendation needs of one person: their home and
    (venue, positive count, dwell seconds) per venue they interacted with. None: no such user."""
    stmt = (
        select(User.home_lat, User.home_lng, Interaction.venue_id, positive_count, dwell_sum)
        .select_from(User)
        .outerjoin(Interaction, Interaction.user_id == User.id)
        .where(User.id == user_id)
        .group_by(User.home_lat, User.home_lng, Interaction.venue_id)
    )
    rows = session.execute(stmt).all()
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
    """(positive count, dwell) over all venues of a category, per companion of `user_id`."""
    stmt = (
        select(Interaction.user_id, positive_count, dwell_sum)
        .join(SocialEdge, SocialEdge.other_user_id == Interaction.user_id)
        .join(Venue, Venue.id == Interaction.venue_id)
        .where(SocialEdge.user_id == user_id, Venue.category == category)
        .group_by(Interaction.user_id)
    )
    return {uid: (int(pos), int(dwell)) for uid, pos, dwell in session.execute(stmt)}


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
    stmt = (
        select(Interaction.user_id, positive_count, dwell_sum)
        .join(Venue, Venue.id == Interaction.venue_id)
        .where(Interaction.user_id.in_(user_ids), Venue.category == category)
        .group_by(Interaction.user_id)
    )
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
