from sqlalchemy import Float, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from luna.models.base import Base, CreatedAtMixin, IdMixin


class User(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "users"

    handle: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    age: Mapped[int | None]
    home_lat: Mapped[float | None] = mapped_column(Float)
    home_lng: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (
        # Handles are unique regardless of case.
        Index("uq_users_handle_lower", func.lower(handle), unique=True),
        Index("ix_users_created_at_id", "created_at", "id"),
    )
