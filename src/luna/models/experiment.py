"""A/B experiments (luna.experiments): the experiment with its arms, and what each arm's
people were shown (the exposures), from which the results are computed."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, TypeDecorator, Uuid
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from luna.models.base import Base, CreatedAtMixin, IdMixin, uuid7


class Experiment(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "experiments"

    key: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    surface: Mapped[str] = mapped_column(String(16))  # "venues" | "people"
    mode: Mapped[str] = mapped_column(String(16), default="ab")  # "ab" | "interleave"
    status: Mapped[str] = mapped_column(String(16), default="running")  # | "stopped"
    # The surface while the experiment runs, NULL once stopped: the unique constraint lets
    # the database refuse a second running experiment on a surface, races included.
    running_surface: Mapped[str | None] = mapped_column(String(16), unique=True)
    attribution_hours: Mapped[int]
    # [{name, weight, config}], the first arm the control; config holds only what it overrides.
    arms: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    stopped_at: Mapped[datetime | None]


class _HexUuidList(TypeDecorator[list[uuid.UUID]]):
    """SQLite: a JSON array of UUIDs in the 32-digit hex form SQLAlchemy gives `Uuid`
    columns there, so json_each's values compare equal to interactions.venue_id & co."""

    impl = JSON(none_as_null=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return None if value is None else [uuid.UUID(str(v)).hex for v in value]

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return None if value is None else [uuid.UUID(v) for v in value]


# One row per exposure, its items in arrays: a row per item cost PostgreSQL ten more heap
# tuples, index entries and foreign-key checks per list served on the hot routes.
ITEM_IDS_TYPE = ARRAY(Uuid()).with_variant(_HexUuidList(), "sqlite")
ITEM_ARMS_TYPE = ARRAY(String(32)).with_variant(JSON(none_as_null=True), "sqlite")


class ExperimentExposure(Base):
    """One list served in an experiment: to whom, in which arm, when, and until when what
    it showed can convert (shown_at + the experiment's attribution_hours); `item_ids` are the
    items shown (venues or people), best first, and with interleaving `item_arms` the arm
    that contributed each (NULL in an A/B test)."""

    __tablename__ = "experiment_exposures"

    # Made by the server process (time-ordered), so a batch is written without a round trip
    # for the ids.
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    experiment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE")
    )
    arm: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    shown_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    item_ids: Mapped[list[uuid.UUID]] = mapped_column(ITEM_IDS_TYPE)
    item_arms: Mapped[list[str | None] | None] = mapped_column(ITEM_ARMS_TYPE)

    __table_args__ = (
        Index("ix_experiment_exposures_experiment_id_user_id", "experiment_id", "user_id"),
        Index("ix_experiment_exposures_user_id", "user_id"),
    )
