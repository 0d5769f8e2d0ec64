"""All SQL about bookings."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from luna.models import Booking, Plan, PlanParticipant, User, Venue
from luna.schemas import Page


def get(session: Session, booking_id: uuid.UUID) -> Booking | None:
    return session.get(Booking, booking_id)


def get_for_plan(session: Session, plan_id: uuid.UUID) -> Booking | None:
    return session.scalar(select(Booking).where(Booking.plan_id == plan_id))


def list_page(
    session: Session, page: Page, plan_id: uuid.UUID | None, user_id: uuid.UUID | None
) -> Sequence[Booking]:
    # Each booking's plan and venue joined, the participants with their user in one more
    # statement for the page: two statements, however many bookings.
    plan = joinedload(Booking.plan, innerjoin=True)
    stmt = select(Booking).options(
        plan.joinedload(Plan.venue, innerjoin=True).load_only(Venue.name),
        plan.selectinload(Plan.participants)
        .joinedload(PlanParticipant.user, innerjoin=True)
        .load_only(User.handle),
    )
    if plan_id is not None:
        stmt = stmt.where(Booking.plan_id == plan_id)
    if user_id is not None:
        participating = select(PlanParticipant.plan_id).where(PlanParticipant.user_id == user_id)
        stmt = stmt.where(Booking.plan_id.in_(participating))
    stmt = stmt.order_by(Booking.created_at, Booking.id).limit(page.limit).offset(page.offset)
    return session.scalars(stmt).all()


def add(session: Session, booking: Booking) -> None:
    session.add(booking)
