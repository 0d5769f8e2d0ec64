"""plans survive their organizer: organizer_id becomes NULL when the account is deleted

Revision ID: 57babfa8d323
Revises: 92ea349b1489
Create Date: 2026-11-25 21:18:53.708669
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "57babfa8d323"
down_revision: str | None = "92ea349b1489"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("plans") as batch_op:
        batch_op.alter_column("organizer_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.drop_constraint("fk_plans_organizer_id_users", type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_plans_organizer_id_users", "users", ["organizer_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    # Plans whose organizer is gone cannot satisfy NOT NULL again: they go too.
    op.execute("DELETE FROM plans WHERE organizer_id IS NULL")
    with op.batch_alter_table("plans") as batch_op:
        batch_op.drop_constraint("fk_plans_organizer_id_users", type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_plans_organizer_id_users", "users", ["organizer_id"], ["id"]
        )
        batch_op.alter_column("organizer_id", existing_type=sa.Uuid(), nullable=False)
