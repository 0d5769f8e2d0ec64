"""vibe profiles: each venue's vibes, learned offline by `luna vibes refresh`, versioned

Revision ID: d91f3a6c2e48
Revises: c4e8a1f07d52
Create Date: 2026-12-06 16:00:00

One row per refresh (`vibe_profile_versions`) and one per venue and version (`venue_vibes`);
serving reads the newest version it understands, so a refresh never changes a profile in
place and a process reading mid-refresh sees the previous version whole.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d91f3a6c2e48"
down_revision: str | None = "c4e8a1f07d52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vibe_profile_versions",
        sa.Column("version", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("format_version", sa.Integer(), nullable=False),
        sa.Column("vocabulary", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_vibe_profile_versions")),
    )
    op.create_table(
        "venue_vibes",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("peak", sa.SmallInteger(), nullable=True),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(
            ["venue_id"],
            ["venues.id"],
            name=op.f("fk_venue_vibes_venue_id_venues"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version"],
            ["vibe_profile_versions.version"],
            name=op.f("fk_venue_vibes_version_vibe_profile_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version", "venue_id", name=op.f("pk_venue_vibes")),
    )


def downgrade() -> None:
    op.drop_table("venue_vibes")
    op.drop_table("vibe_profile_versions")
