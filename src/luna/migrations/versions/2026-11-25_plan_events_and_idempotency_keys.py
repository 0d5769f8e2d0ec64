"""plan events (the timeline) and idempotency keys for POST /plans/

Revision ID: 97e0b2d6a1af
Revises: 57babfa8d323
Create Date: 2026-11-25 22:12:57.263233
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "97e0b2d6a1af"
down_revision: str | None = "57babfa8d323"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plan_events",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "transition", "provider_call", name="planeventkind", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column(
            "from_status",
            sa.Enum(
                "pending",
                "booking",
                "confirmed",
                "booking_failed",
                "cancelled",
                name="planstatus",
                native_enum=False,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "pending",
                "booking",
                "confirmed",
                "booking_failed",
                "cancelled",
                name="planstatus",
                native_enum=False,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_events_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_events")),
    )
    op.create_index("ix_plan_events_plan_id_id", "plan_events", ["plan_id", "id"])
    op.create_table(
        "plan_idempotency_keys",
        sa.Column("organizer_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organizer_id"],
            ["users.id"],
            name=op.f("fk_plan_idempotency_keys_organizer_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.id"],
            name=op.f("fk_plan_idempotency_keys_plan_id_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organizer_id", "key", name=op.f("pk_plan_idempotency_keys")),
    )


def downgrade() -> None:
    op.drop_table("plan_idempotency_keys")
    op.drop_index("ix_plan_events_plan_id_id", table_name="plan_events")
    op.drop_table("plan_events")
