import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from luna.models.base import Base, CreatedAtMixin, IdMixin
from luna.models.enums import ParticipantStatus, PlanEventKind, PlanStatus
from luna.models.types import str_enum

if TYPE_CHECKING:
    from luna.models.user import User
    from luna.models.venue import Venue


class Plan(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "plans"

    title: Mapped[str | None] = mapped_column(String(200))
    # NULL once the organizer deleted their account (the plan stays, cancelled, for the others).
    organizer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    venue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("venues.id"))
    start_time: Mapped[datetime]
    status: Mapped[PlanStatus] = mapped_column(str_enum(PlanStatus), default=PlanStatus.pending)

    participants: Mapped[list["PlanParticipant"]] = relationship(
        lazy="raise",
        order_by=lambda: (PlanParticipant.created_at, PlanParticipant.user_id),
        cascade="all, delete-orphan",
    )
    # Read-only, for the lists' venue_name (loaded with the plans: plans.repository.list_page).
    venue: Mapped["Venue"] = relationship(lazy="raise", viewonly=True)

    __table_args__ = (
        Index("ix_plans_organizer_id", "organizer_id"),
        Index("ix_plans_venue_id", "venue_id"),
        Index("ix_plans_created_at_id", "created_at", "id"),
    )


class PlanParticipant(CreatedAtMixin, Base):
    __tablename__ = "plan_participants"

    plan_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[ParticipantStatus] = mapped_column(str_enum(ParticipantStatus))
    # Read-only, for the lists' handles (loaded with the participants when asked for).
    user: Mapped["User"] = relationship(lazy="raise", viewonly=True)

    __table_args__ = (Index("ix_plan_participants_user_id", "user_id"),)


class PlanEvent(CreatedAtMixin, Base):
    """One entry of a plan's timeline: a status change or a call to a booking provider.

    The key is a sequence, not a UUID: several events are written in one transaction, often
    within the same microsecond, and the timeline must keep their order.
    """

    __tablename__ = "plan_events"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    kind: Mapped[PlanEventKind] = mapped_column(str_enum(PlanEventKind))
    from_status: Mapped[PlanStatus | None] = mapped_column(str_enum(PlanStatus))
    to_status: Mapped[PlanStatus | None] = mapped_column(str_enum(PlanStatus))
    outcome: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_plan_events_plan_id_id", "plan_id", "id"),)


class PlanIdempotencyKey(CreatedAtMixin, Base):
    """A client's Idempotency-Key for POST /plans/: a retry returns the first plan."""

    __tablename__ = "plan_idempotency_keys"

    organizer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
