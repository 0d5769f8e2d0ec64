"""initial schema

Revision ID: 92ea349b1489
Revises:
Create Date: 2026-11-25 20:34:59.794824
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "92ea349b1489"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("handle", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("home_lat", sa.Float(), nullable=True),
        sa.Column("home_lng", sa.Float(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_index("ix_users_created_at_id", "users", ["created_at", "id"])
    # Handles are unique regardless of case (autogenerate cannot see expression indexes).
    op.create_index("uq_users_handle_lower", "users", [sa.text("lower(handle)")], unique=True)
    op.create_table(
        "venues",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("price_level", sa.Integer(), nullable=True),
        sa.Column("rating", sa.Float(), nullable=True),
        sa.Column("booking_provider", sa.String(length=32), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venues")),
    )
    op.create_index("ix_venues_category", "venues", ["category"])
    op.create_index("ix_venues_created_at_id", "venues", ["created_at", "id"])
    op.create_index("ix_venues_lat_lng", "venues", ["lat", "lng"])
    op.create_table(
        "interactions",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column(
            "interaction_type",
            sa.Enum(
                "view", "interest", "like", name="interactiontype", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("dwell_time_seconds", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_interactions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"],
            ["venues.id"],
            name=op.f("fk_interactions_venue_id_venues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interactions")),
    )
    op.create_index(
        "ix_interactions_user_id_occurred_at", "interactions", ["user_id", "occurred_at"]
    )
    op.create_index("ix_interactions_user_id_venue_id", "interactions", ["user_id", "venue_id"])
    op.create_index("ix_interactions_venue_id_user_id", "interactions", ["venue_id", "user_id"])
    op.create_table(
        "plans",
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("organizer_id", sa.Uuid(), nullable=False),
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "confirmed",
                "booking_failed",
                "cancelled",
                name="planstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organizer_id"], ["users.id"], name=op.f("fk_plans_organizer_id_users")
        ),
        sa.ForeignKeyConstraint(["venue_id"], ["venues.id"], name=op.f("fk_plans_venue_id_venues")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
    )
    op.create_index("ix_plans_created_at_id", "plans", ["created_at", "id"])
    op.create_index("ix_plans_organizer_id", "plans", ["organizer_id"])
    op.create_index("ix_plans_venue_id", "plans", ["venue_id"])
    op.create_table(
        "social_edges",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("other_user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "relationship_type",
            sa.Enum(
                "friend",
                "mutual",
                "suggested",
                name="relationshiptype",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("strength", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["other_user_id"],
            ["users.id"],
            name=op.f("fk_social_edges_other_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_social_edges_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "other_user_id", name=op.f("pk_social_edges")),
    )
    op.create_index("ix_social_edges_other_user_id", "social_edges", ["other_user_id"])
    op.create_table(
        "bookings",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("external_ref", sa.String(length=128), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "booked", "failed", "cancelled", name="bookingstatus", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("party_size", sa.Integer(), nullable=False),
        sa.Column("failure_reason", sa.String(length=500), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_bookings_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint("plan_id", name=op.f("uq_bookings_plan_id")),
        sa.UniqueConstraint(
            "provider", "external_ref", name=op.f("uq_bookings_provider_external_ref")
        ),
    )
    op.create_index("ix_bookings_created_at_id", "bookings", ["created_at", "id"])
    op.create_table(
        "plan_participants",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "invited",
                "accepted",
                "declined",
                name="participantstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.id"],
            name=op.f("fk_plan_participants_plan_id_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_plan_participants_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("plan_id", "user_id", name=op.f("pk_plan_participants")),
    )
    op.create_index("ix_plan_participants_user_id", "plan_participants", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_plan_participants_user_id", table_name="plan_participants")
    op.drop_table("plan_participants")
    op.drop_index("ix_bookings_created_at_id", table_name="bookings")
    op.drop_table("bookings")
    op.drop_index("ix_social_edges_other_user_id", table_name="social_edges")
    op.drop_table("social_edges")
    op.drop_index("ix_plans_venue_id", table_name="plans")
    op.drop_index("ix_plans_organizer_id", table_name="plans")
    op.drop_index("ix_plans_created_at_id", table_name="plans")
    op.drop_table("plans")
    op.drop_index("ix_interactions_venue_id_user_id", table_name="interactions")
    op.drop_index("ix_interactions_user_id_venue_id", table_name="interactions")
    op.drop_index("ix_interactions_user_id_occurred_at", table_name="interactions")
    op.drop_table("interactions")
    op.drop_index("ix_venues_lat_lng", table_name="venues")
    op.drop_index("ix_venues_created_at_id", table_name="venues")
    op.drop_index("ix_venues_category", table_name="venues")
    op.drop_table("venues")
    op.drop_index("uq_users_handle_lower", table_name="users")
    op.drop_index("ix_users_created_at_id", table_name="users")
    op.drop_table("users")
