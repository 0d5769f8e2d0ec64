import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from luna.models.base import Base, CreatedAtMixin, IdMixin, utcnow, uuid7
from luna.models.enums import InteractionType
from luna.models.types import str_enum


class Interaction(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "interactions"

    # Time-ordered ids: the busiest table's primary key grows at its right edge.
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    venue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"))
    interaction_type: Mapped[InteractionType] = mapped_column(str_enum(InteractionType))
    dwell_time_seconds: Mapped[int] = mapped_column(default=0)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        # A user's history (newest first) and per-(user, venue) engagement; on PostgreSQL
        # the latter covers what engagement sums and the learned ranker's history reads,
        # so the recommenders' reads are index-only.
        Index("ix_interactions_user_id_occurred_at", "user_id", "occurred_at"),
        Index(
            "ix_interactions_user_id_venue_id",
            "user_id",
            "venue_id",
            postgresql_include=["interaction_type", "dwell_time_seconds", "occurred_at"],
        ),
        # No index leads with venue_id: no request reads by venue alone (popularity scans),
        # and each per-row B-tree costs a batch a random page (migration 6a1e9c3f2b70). A
        # venue's category change and a venue's deletion scan the table instead.
        # What was recorded in a time range (popularity between two windows). On PostgreSQL a
        # BRIN index: rows arrive in created_at order, and it costs inserts next to nothing.
        Index(
            "ix_interactions_created_at",
            "created_at",
            postgresql_using="brin",
            postgresql_with={"autosummarize": "on"},
        ),
    )


class CategoryEngagement(Base):
    """Positive interactions and dwell of one person over all venues of one category.

    Derived from `interactions` and kept in step by every write path (the interaction
    routes, `luna import`, a venue's category change): the people recommender's `category`
    feature then reads one row per companion instead of every interaction they ever made.
    A row of zeros means the same as no row. Deleting the person deletes their rows
    (cascade)."""

    __tablename__ = "category_engagement"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(64), primary_key=True)
    positive_count: Mapped[int] = mapped_column(BigInteger)
    dwell_seconds: Mapped[int] = mapped_column(BigInteger)


class PopularityWindow(Base):
    """Positive interactions per venue recorded before one window's cut (luna.reco.index),
    computed once for every server process: the first to reach the window adds what was
    recorded since the window before to that window's counts (or counts everything), the
    others read the result. Deleting interactions (a person) or a bulk import forgets them all:
    the next window counts everything again."""

    __tablename__ = "popularity_windows"

    window_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # {venue id (32 hex digits): positive interactions}, venues without any left out.
    counts: Mapped[dict[str, int]] = mapped_column(JSON)
