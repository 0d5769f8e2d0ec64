"""A/B experiments (luna.experiments): the experiment with its arms, and what each arm's
people were shown (the exposures), from which the results are computed."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
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


class ExperimentExposure(Base):
    """One list served in an experiment: to whom, in which arm, when, and until when what
    it showed can convert (shown_at + the experiment's attribution_hours)."""

    __tablename__ = "experiment_exposures"

    # Made by the server process (time-ordered), so a batch writes its items without a
    # round trip for the ids.
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    experiment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE")
    )
    arm: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    shown_at: Mapped[datetime]
    expires_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_experiment_exposures_experiment_id_user_id", "experiment_id", "user_id"),
        Index("ix_experiment_exposures_user_id", "user_id"),
    )


class ExperimentExposureItem(Base):
    """One item (a venue or a person) of an exposure, at its position (0 = first); with
    interleaving, `arm` is the arm whose ranking contributed it (NULL in an A/B test)."""

    __tablename__ = "experiment_exposure_items"

    exposure_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("experiment_exposures.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    item_id: Mapped[uuid.UUID]
    arm: Mapped[str | None] = mapped_column(String(32))
