"""All SQL about the social graph."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, bindparam, func, or_, select, true, union
from sqlalchemy.orm import Session

from luna.models import (
    POSITIVE_INTERACTION_TYPES,
    CategoryEngagement,
    Interaction,
    RelationshipType,
    SocialEdge,
    User,
    Venue,
)
from luna.schemas import Page


def get(session: Session, user_id: uuid.UUID, other_user_id: uuid.UUID) -> SocialEdge | None:
    return session.get(SocialEdge, (user_id, other_user_id))


def outgoing(session: Session, user_id: uuid.UUID, page: Page) -> Sequence[SocialEdge]:
    stmt = (
        select(SocialEdge)
        .where(SocialEdge.user_id == user_id)
        .order_by(SocialEdge.created_at, SocialEdge.other_user_id)
        .limit(page.limit)
        .offset(page.offset)
    )
    return session.scalars(stmt).all()


_COMPANIONS = (
    select(User.id, User.handle, User.name, SocialEdge.relationship_type, SocialEdge.strength)
    .join(SocialEdge, SocialEdge.other_user_id == User.id)
    .where(SocialEdge.user_id == bindparam("user_id"))
)


def companions(
    session: Session, user_id: uuid.UUID
) -> Sequence[Row[tuple[uuid.UUID, str, str, RelationshipType, float]]]:
    """Everyone `user_id` has an outgoing edge to: (id, handle, name, relationship, strength)."""
    return session.execute(_COMPANIONS, {"user_id": user_id}).all()


_positive = Interaction.interaction_type.in_(POSITIVE_INTERACTION_TYPES)


def _companions_with_engagement(category: ColumnElement[Any]) -> Select[Any]:
    # A companion's interactions at the venue as two correlated subqueries (each an index-only
    # probe of interactions (user_id, venue_id)): an outer join grouped by every companion
    # column cost PostgreSQL a sort and an aggregate, a quarter of the people statement at S3.
    at_venue = (Interaction.user_id == User.id) & (Interaction.venue_id == bindparam("venue_id"))
    positive_at_venue = select(func.count()).where(at_venue, _positive).scalar_subquery()
    dwell_at_venue = (
        select(func.coalesce(func.sum(Interaction.dwell_time_seconds), 0))
        .where(at_venue)
        .scalar_subquery()
    )
    return (
        select(
            User.id,
            User.handle,
            User.name,
            SocialEdge.relationship_type,
            SocialEdge.strength,
            positive_at_venue,
            dwell_at_venue,
            CategoryEngagement.positive_count,
            CategoryEngagement.dwell_seconds,
        )
        .join(SocialEdge, SocialEdge.other_user_id == User.id)
        .outerjoin(
            CategoryEngagement,
            (CategoryEngagement.user_id == User.id) & (CategoryEngagement.category == category),
        )
        .where(SocialEdge.user_id == bindparam("user_id"))
    )


_COMPANIONS_WITH_ENGAGEMENT = _companions_with_engagement(bindparam("category"))

# The people route's one statement: who exists (the user; the venue and its category), then
# the companions with their engagement. A user without companions still gets one row (its
# companion columns NULL), so "User not found" and "no companions" stay apart. Without a
# venue (venue_id NULL) the engagement columns are zeros and NULLs.
_venue_category = select(Venue.category).where(Venue.id == bindparam("venue_id")).scalar_subquery()
_probe = select(
    select(User.id).where(User.id == bindparam("user_id")).scalar_subquery().label("user"),
    select(Venue.id).where(Venue.id == bindparam("venue_id")).scalar_subquery().label("venue"),
    _venue_category.label("category"),
).subquery("probe")
_companions = _companions_with_engagement(_venue_category).subquery("companions")
_PEOPLE_FOR_VENUE = select(_probe, _companions).select_from(_probe.outerjoin(_companions, true()))


CompanionEngagement = tuple[
    tuple[uuid.UUID, str, str, RelationshipType, float], tuple[int, int], tuple[int, int]
]


def companions_with_engagement(
    session: Session, user_id: uuid.UUID, venue_id: uuid.UUID, category: str | None
) -> list[CompanionEngagement]:
    """Everyone `user_id` has an outgoing edge to, with what the people score needs, in one
    statement: ((id, handle, name, relationship, strength), (positive count, dwell) at the
    venue, (positive count, dwell) over the venue's category). Core, no ORM: a hot route."""
    params = {"user_id": user_id, "venue_id": venue_id, "category": category}
    return _companion_engagement(
        session.connection().execute(_COMPANIONS_WITH_ENGAGEMENT, params).all()
    )


@dataclass(frozen=True)
class PeopleForVenue:
    user_exists: bool
    venue_exists: bool
    category: str | None
    companions: list[CompanionEngagement]


def read_people_for_venue(
    session: Session, user_id: uuid.UUID, venue_id: uuid.UUID | None
) -> PeopleForVenue:
    """What the people route reads, in one statement: whether the user and the venue exist,
    the venue's category, and `user_id`'s companions as `companions_with_engagement` returns
    them (engagement zero without a venue)."""
    params = {"user_id": user_id, "venue_id": venue_id}
    rows = session.connection().execute(_PEOPLE_FOR_VENUE, params).all()
    user, venue, category = rows[0][:3]
    companions = [row[3:] for row in rows if row[3] is not None]
    return PeopleForVenue(
        user is not None, venue is not None, category, _companion_engagement(companions)
    )


def _companion_engagement(rows: Sequence[Sequence[Any]]) -> list[CompanionEngagement]:
    return [
        (
            (uid, handle, name, RelationshipType(kind), strength),
            (int(at_pos), int(at_dwell)),
            (int(cat_pos or 0), int(cat_dwell or 0)),
        )
        for uid, handle, name, kind, strength, at_pos, at_dwell, cat_pos, cat_dwell in rows
    ]


def two_hop_edges(session: Session, user_id: uuid.UUID) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Every edge (either direction) with an endpoint among `user_id`'s neighbours, a
    neighbour being anyone with an edge to or from `user_id`. Enough to know each neighbour's
    whole (undirected) neighbourhood: what friends-of-friends scoring needs, in one query."""
    neighbours = union(
        select(SocialEdge.other_user_id).where(SocialEdge.user_id == user_id),
        select(SocialEdge.user_id).where(SocialEdge.other_user_id == user_id),
    ).subquery()
    ids = select(neighbours.c[0])
    stmt = select(SocialEdge.user_id, SocialEdge.other_user_id).where(
        or_(SocialEdge.user_id.in_(ids), SocialEdge.other_user_id.in_(ids))
    )
    return [(a, b) for a, b in session.execute(stmt)]


def add(session: Session, edge: SocialEdge) -> None:
    session.add(edge)


def delete(session: Session, edge: SocialEdge) -> None:
    session.delete(edge)
