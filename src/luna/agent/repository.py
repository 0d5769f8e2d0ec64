"""All SQL about booking jobs (the outbox table `booking_jobs`)."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from luna.models import BookingJob
from luna.models.base import utcnow


def add(session: Session, plan_id: uuid.UUID) -> BookingJob:
    job = BookingJob(plan_id=plan_id, sent_at=utcnow())
    session.add(job)
    return job


def finish(session: Session, plan_id: uuid.UUID, outcome: str) -> None:
    """Every owed job of the plan is done (they all asked for the same booking)."""
    session.execute(
        update(BookingJob)
        .where(BookingJob.plan_id == plan_id, BookingJob.done_at.is_(None))
        .values(done_at=utcnow(), outcome=outcome)
    )


def owed_plans(session: Session, sent_before: datetime, limit: int) -> Sequence[uuid.UUID]:
    """Plans with a job owed that was last handed to the queue before `sent_before`."""
    stmt = (
        select(BookingJob.plan_id)
        .where(BookingJob.done_at.is_(None), BookingJob.sent_at < sent_before)
        .group_by(BookingJob.plan_id)
        .order_by(func.min(BookingJob.sent_at))
        .limit(limit)
    )
    return session.scalars(stmt).all()


def mark_sent(session: Session, plan_ids: Iterable[uuid.UUID]) -> None:
    session.execute(
        update(BookingJob)
        .where(BookingJob.plan_id.in_(list(plan_ids)), BookingJob.done_at.is_(None))
        .values(sent_at=utcnow(), deliveries=BookingJob.deliveries + 1)
    )


def count_owed(session: Session) -> int:
    stmt = select(func.count()).select_from(BookingJob).where(BookingJob.done_at.is_(None))
    return session.scalar(stmt) or 0
