from sqlalchemy import Float, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from luna.models.base import Base, CreatedAtMixin, IdMixin


class Venue(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "venues"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(64))
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    price_level: Mapped[int | None]
    rating: Mapped[float | None] = mapped_column(Float)
    # Booking provider for this venue; NULL means the configured default.
    booking_provider: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        Index("ix_venues_category", "category"),
        Index("ix_venues_lat_lng", "lat", "lng"),
        Index("ix_venues_created_at_id", "created_at", "id"),
    )
