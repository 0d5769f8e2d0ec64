"""interactions: no (venue_id, user_id) index; batches write one random B-tree fewer per row

Revision ID: 6a1e9c3f2b70
Revises: 9f3b7c1d5e48
Create Date: 2026-11-26 11:40:00

A batch of interactions lands on random leaf pages of every index keyed by person or venue
(at S3 each is bigger than the default shared_buffers), and the B-tree inserts were the
largest part of PostgreSQL's work on `POST /interactions/batch`. No request reads
interactions by venue first: popularity counts scan the table (or, between windows, the
BRIN range of created_at), and every per-venue read of the recommenders also names the
person, so it probes (user_id, venue_id). What loses the index, and now scans the table:
a venue's category change (finding the venue's interactions, whose share of its visitors'
category totals moves; 1.4 s for S3's busiest venue) and deleting a venue (no route does;
the foreign key's cascade). Measured at S3, 20-s runs of 4 concurrent 5,000-item batches on
fresh copies of one database: 48,944 → 59,907 items/s.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "6a1e9c3f2b70"
down_revision: str | None = "9f3b7c1d5e48"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_interactions_venue_id_user_id"


def upgrade() -> None:
    op.drop_index(INDEX, table_name="interactions")


def downgrade() -> None:
    op.create_index(INDEX, "interactions", ["venue_id", "user_id"])
