import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from luna.models.base import Base, CreatedAtMixin


class BookingJob(CreatedAtMixin, Base):
    """The outbox of the booking agent: a booking job owed for a plan.

    Confirm writes the row in the same transaction as the plan's move to `booking`; the job
    that books the plan marks it done in the same transaction as the plan's final status. A
    row that is not done is a job still owed: the sweep (luna/agent/worker.py) queues it
    again when its delivery was lost.
    """

    __tablename__ = "booking_jobs"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    # How many times the job was handed to the queue (1 at confirm, +1 per re-delivery).
    deliveries: Mapped[int] = mapped_column(default=1)
    sent_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    # The plan's status when the job finished (confirmed, booking_failed), or "gone".
    outcome: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        Index("ix_booking_jobs_plan_id", "plan_id"),
        Index("ix_booking_jobs_done_at_sent_at", "done_at", "sent_at"),
    )
