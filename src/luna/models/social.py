import uuid

from sqlalchemy import Float, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from luna.models.base import Base, CreatedAtMixin
from luna.models.enums import RelationshipType
from luna.models.types import str_enum


class SocialEdge(CreatedAtMixin, Base):
    """A directed, weighted edge: how much `user_id` likes going out with `other_user_id`."""

    __tablename__ = "social_edges"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    other_user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    relationship_type: Mapped[RelationshipType] = mapped_column(str_enum(RelationshipType))
    strength: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_social_edges_other_user_id", "other_user_id"),)
