"""category engagement: per person and venue category, kept in step with interactions

Revision ID: 5e8a1d4c7b62
Revises: 3c5e1f7a9b20
Create Date: 2026-11-26 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e8a1d4c7b62"
down_revision: str | None = "3c5e1f7a9b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "category_engagement",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("positive_count", sa.BigInteger(), nullable=False),
        sa.Column("dwell_seconds", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_category_engagement_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "category", name=op.f("pk_category_engagement")),
    )
    # What the interactions already say.
    op.execute(
        """
        INSERT INTO category_engagement (user_id, category, positive_count, dwell_seconds)
        SELECT i.user_id, v.category,
               count(*) FILTER (WHERE i.interaction_type IN ('like', 'interest')),
               coalesce(sum(i.dwell_time_seconds), 0)
        FROM interactions AS i JOIN venues AS v ON v.id = i.venue_id
        WHERE v.category IS NOT NULL
        GROUP BY i.user_id, v.category
        """
    )


def downgrade() -> None:
    op.drop_table("category_engagement")
