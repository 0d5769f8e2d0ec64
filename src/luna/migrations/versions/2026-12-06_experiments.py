"""experiments: A/B experiments, their exposures and the items each exposure showed

Revision ID: c4e8a1f07d52
Revises: b7d2e4f19a03
Create Date: 2026-12-06 16:00:00

`experiments.running_surface` is the surface while the experiment runs and NULL once it is
stopped: its unique constraint refuses a second running experiment on one surface (both
backends allow many NULLs). Conversions are not stored: the results join the exposures' items
with interactions, plans and plan participants (luna.experiments.repository).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4e8a1f07d52"
down_revision: str | None = "b7d2e4f19a03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("surface", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("running_surface", sa.String(length=16), nullable=True),
        sa.Column("attribution_hours", sa.Integer(), nullable=False),
        sa.Column("arms", sa.JSON(), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
        sa.UniqueConstraint("key", name=op.f("uq_experiments_key")),
        sa.UniqueConstraint("running_surface", name=op.f("uq_experiments_running_surface")),
    )
    op.create_table(
        "experiment_exposures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("experiment_id", sa.Uuid(), nullable=False),
        sa.Column("arm", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("shown_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiment_exposures_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_experiment_exposures_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_exposures")),
    )
    op.create_index(
        "ix_experiment_exposures_experiment_id_user_id",
        "experiment_exposures",
        ["experiment_id", "user_id"],
    )
    op.create_index("ix_experiment_exposures_user_id", "experiment_exposures", ["user_id"])
    op.create_table(
        "experiment_exposure_items",
        sa.Column("exposure_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("arm", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["exposure_id"],
            ["experiment_exposures.id"],
            name=op.f("fk_experiment_exposure_items_exposure_id_experiment_exposures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "exposure_id", "position", name=op.f("pk_experiment_exposure_items")
        ),
    )


def downgrade() -> None:
    op.drop_table("experiment_exposure_items")
    op.drop_index("ix_experiment_exposures_user_id", table_name="experiment_exposures")
    op.drop_index(
        "ix_experiment_exposures_experiment_id_user_id", table_name="experiment_exposures"
    )
    op.drop_table("experiment_exposures")
    op.drop_table("experiments")
