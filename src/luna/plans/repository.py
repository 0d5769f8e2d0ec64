"""All SQL about plans and their participants."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from luna.models import (
    ParticipantStatus,
    Plan,
    PlanEvent,
    PlanIdempotencyKey,
    PlanParticipant,
    PlanStatus,
    User,
    Venue,
)
from luna.schemas import Page


def get(session: Session, plan_id: uuid.UUID) -> Plan | None:
    return session.get(Plan, plan_id)


def status_of(session: Session, plan_id: uuid.UUID) -> PlanStatus | None:
    return session.scalar(select(Plan.status).where(Plan.id == plan_id))


def get_with_participants(
    session: Session, plan_id: uuid.UUID, *, lock: bool = False
) -> Plan | None:
    """The plan and its participants; `lock` takes the plan's row lock (PostgreSQL
    `FOR UPDATE`; SQLite transactions are already serialized by BEGIN IMMEDIATE)."""
    stmt = select(Plan).where(Plan.id == plan_id).options(selectinload(Plan.participants))
    if lock:
        stmt = stmt.with_for_update(of=Plan)
    return session.scalar(stmt)


# A list's plans with their venue (joined) and participants with their user (one more
# statement for the whole page): two statements, however many plans and people.
WITH_NAMES = (
    joinedload(Plan.venue, innerjoin=True).load_only(Venue.name),
    selectinload(Plan.participants)
    .joinedload(PlanParticipant.user, innerjoin=True)
    .load_only(User.handle),
)


def list_page(session: Session, page: Page, user_id: uuid.UUID | None) -> Sequence[Plan]:
    stmt = select(Plan).options(*WITH_NAMES)
    if user_id is not None:
        # The organizer is always a participant, so this covers both roles.
        taking_part = select(PlanParticipant.plan_id).where(PlanParticipant.user_id == user_id)
        stmt = stmt.where(Plan.id.in_(taking_part))
    stmt = stmt.order_by(Plan.created_at, Plan.id).limit(page.limit).offset(page.offset)
    return session.scalars(stmt).all()


def get_participant(
    session: Session, plan_id: uuid.UUID, user_id: uuid.UUID
) -> PlanParticipant | None:
    return session.get(PlanParticipant, (plan_id, user_id))


def count_accepted(session: Session, plan_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(
        PlanParticipant.plan_id == plan_id, PlanParticipant.status == ParticipantStatus.accepted
    )
    return session.scalar(stmt) or 0


def add(session: Session, obj: Plan | PlanParticipant | PlanEvent | PlanIdempotencyKey) -> None:
    session.add(obj)


def events(session: Session, plan_id: uuid.UUID, page: Page) -> Sequence[PlanEvent]:
    stmt = (
        select(PlanEvent)
        .where(PlanEvent.plan_id == plan_id)
        .order_by(PlanEvent.id)
        .limit(page.limit)
        .offset(page.offset)
    )
    return session.scalars(stmt).all()


def get_idempotency_key(
    session: Session, organizer_id: uuid.UUID, key: str
) -> PlanIdempotencyKey | None:
    return session.get(PlanIdempotencyKey, (organizer_id, key))


def organized_upcoming(session: Session, organizer_id: uuid.UUID, now: datetime) -> Sequence[Plan]:
    """Plans someone organizes that have not started and are not cancelled, locked."""
    stmt = (
        select(Plan)
        .where(
            Plan.organizer_id == organizer_id,
            Plan.start_time > now,
            Plan.status != PlanStatus.cancelled,
        )
        .order_by(Plan.id)
        .with_for_update()
    )
    return session.scalars(stmt).all()
