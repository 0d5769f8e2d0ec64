import uuid
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from luna.models.base import Base, CreatedAtMixin, IdMixin
from luna.models.enums import BookingStatus
from luna.models.types import str_enum

if TYPE_CHECKING:
    from luna.models.plan import Plan


class Booking(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "bookings"

    # One booking per plan, ever: the unique key is the last line of defence.
    plan_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("plans.id", ondelete="CASCADE"), unique=True
    )
    provider: Mapped[str] = mapped_column(String(32))
    external_ref: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[BookingStatus] = mapped_column(str_enum(BookingStatus))
    party_size: Mapped[int]
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    # Read-only, for the list's venue and participants (bookings.repository.list_page).
    plan: Mapped["Plan"] = relationship(lazy="raise", viewonly=True)

    __table_args__ = (
        UniqueConstraint("provider", "external_ref"),
        Index("ix_bookings_created_at_id", "created_at", "id"),
    )
