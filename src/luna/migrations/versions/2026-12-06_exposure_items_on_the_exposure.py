"""exposure items on the exposure: one row per list served, its items in arrays

Revision ID: e5b70c29d8a1
Revises: d91f3a6c2e48
Create Date: 2026-12-06 21:00:00

`experiment_exposures.item_ids` (uuid[]; a JSON array of hex ids on SQLite) holds the items
shown, best first, and `item_arms` the arm that contributed each with interleaving (NULL in
an A/B test). The row per item in `experiment_exposure_items` cost PostgreSQL ten more heap
tuples, index entries and foreign-key checks per list on the hot routes. The existing items
are moved over, in position order, and the downgrade moves them back.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "e5b70c29d8a1"
down_revision: str | None = "d91f3a6c2e48"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ITEM_IDS = postgresql.ARRAY(sa.Uuid()).with_variant(sa.JSON(), "sqlite")
ITEM_ARMS = postgresql.ARRAY(sa.String(length=32)).with_variant(sa.JSON(), "sqlite")

# item_arms stays NULL where every arm is (an A/B test).
FILL_POSTGRESQL = """
    UPDATE experiment_exposures AS e
    SET item_ids = i.ids, item_arms = i.arms
    FROM (
        SELECT exposure_id,
               array_agg(item_id ORDER BY position) AS ids,
               CASE WHEN count(arm) > 0 THEN array_agg(arm ORDER BY position) END AS arms
        FROM experiment_exposure_items GROUP BY exposure_id
    ) AS i
    WHERE i.exposure_id = e.id
"""
EMPTY = {"postgresql": "'{}'", "sqlite": "'[]'"}


def _fill_sqlite() -> None:
    """SQLite before 3.44 has no ORDER BY inside json_group_array, and it was seen to ignore
    a subquery's order, so the arrays are built here (the ids are already hex text)."""
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT exposure_id, item_id, arm FROM experiment_exposure_items"
            " ORDER BY exposure_id, position"
        )
    ).all()
    arrays: dict[str, tuple[list[str], list[str | None]]] = {}
    for exposure_id, item_id, arm in rows:
        ids, arms = arrays.setdefault(exposure_id, ([], []))
        ids.append(item_id)
        arms.append(arm)
    for exposure_id, (ids, arms) in arrays.items():
        conn.execute(
            sa.text(
                "UPDATE experiment_exposures SET item_ids = :ids, item_arms = :arms WHERE id = :id"
            ),
            {
                "id": exposure_id,
                "ids": json.dumps(ids),
                "arms": json.dumps(arms) if any(a is not None for a in arms) else None,
            },
        )


UNFILL = {
    "postgresql": """
        INSERT INTO experiment_exposure_items (exposure_id, position, item_id, arm)
        SELECT e.id, i.ordinality - 1, i.item_id, i.arm
        FROM experiment_exposures AS e,
             unnest(e.item_ids, e.item_arms) WITH ORDINALITY AS i(item_id, arm, ordinality)
    """,
    "sqlite": """
        INSERT INTO experiment_exposure_items (exposure_id, position, item_id, arm)
        SELECT e.id, i.key, i.value, json_extract(e.item_arms, printf('$[%d]', i.key))
        FROM experiment_exposures AS e, json_each(e.item_ids) AS i
    """,
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("experiment_exposures") as batch:
        batch.add_column(sa.Column("item_ids", ITEM_IDS, nullable=True))
        batch.add_column(sa.Column("item_arms", ITEM_ARMS, nullable=True))
    if dialect == "sqlite":
        _fill_sqlite()
    else:
        op.execute(FILL_POSTGRESQL)
    op.execute(
        f"UPDATE experiment_exposures SET item_ids = {EMPTY[dialect]} WHERE item_ids IS NULL"
    )
    op.drop_table("experiment_exposure_items")
    with op.batch_alter_table("experiment_exposures") as batch:
        batch.alter_column("item_ids", existing_type=ITEM_IDS, nullable=False)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
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
    op.execute(UNFILL[dialect])
    # On SQLite the batch copies experiment_exposures; luna.migrate turns foreign keys off
    # for it, so the items just written are not cascade-deleted.
    with op.batch_alter_table("experiment_exposures") as batch:
        batch.drop_column("item_arms")
        batch.drop_column("item_ids")
