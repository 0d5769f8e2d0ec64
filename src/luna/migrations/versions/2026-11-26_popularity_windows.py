"""popularity windows: venue popularity computed once per window for every server process,
from the window before and what was recorded since

Revision ID: 9f3b7c1d5e48
Revises: 4d7c2a9e1f36
Create Date: 2026-11-26 09:30:00

Every server process recounted every positive interaction once a window (at S3, 4M rows:
~0.6 s of a PostgreSQL core per process, every process at the same moment), which showed as a
p99 spike once a minute. A window's counts are now stored (`popularity_windows`) by the first
process to need them, as the previous window's plus what was recorded in between, found
through a BRIN index on interactions.created_at (rows arrive in that order; a BRIN index costs
inserts next to nothing). SQLite has no BRIN: a plain index there.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9f3b7c1d5e48"
down_revision: str | None = "4d7c2a9e1f36"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "popularity_windows",
        sa.Column("window_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("window_index", name=op.f("pk_popularity_windows")),
    )
    op.create_index(
        "ix_interactions_created_at",
        "interactions",
        ["created_at"],
        postgresql_using="brin",
        postgresql_with={"autosummarize": "on"},
    )


def downgrade() -> None:
    op.drop_index("ix_interactions_created_at", table_name="interactions")
    op.drop_table("popularity_windows")
