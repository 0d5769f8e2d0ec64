"""booking jobs: the outbox table, and on PostgreSQL the procrastinate job queue's schema

Revision ID: 3c5e1f7a9b20
Revises: 97e0b2d6a1af
Create Date: 2026-11-26 09:30:00.000000

On PostgreSQL the schema of procrastinate 3.10.0 (the job queue `luna worker` runs) goes
into its own PostgreSQL schema, `procrastinate`, so that it never mixes with Luna's tables.
The SQL is the library's own `schema.sql`, vendored next to the migrations
(`migrations/sql/procrastinate-3.10.0-schema.sql`) so that this revision builds the same
schema whatever version is installed. Upgrading procrastinate later means a new revision that
applies the library's migration scripts for the versions in between (`procrastinate schema
--migrations-path` lists them), with `search_path` set to `procrastinate` and the functions'
search_path pinned again, as below.
"""

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "3c5e1f7a9b20"
down_revision: str | None = "97e0b2d6a1af"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUE_SCHEMA = "procrastinate"
QUEUE_SCHEMA_SQL = Path(__file__).parent.parent / "sql" / "procrastinate-3.10.0-schema.sql"


def upgrade() -> None:
    op.create_table(
        "booking_jobs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.id"],
            name=op.f("fk_booking_jobs_plan_id_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_jobs")),
    )
    op.create_index("ix_booking_jobs_plan_id", "booking_jobs", ["plan_id"], unique=False)
    op.create_index(
        "ix_booking_jobs_done_at_sent_at", "booking_jobs", ["done_at", "sent_at"], unique=False
    )
    if op.get_bind().dialect.name == "postgresql":
        _create_queue_schema()


def _create_queue_schema() -> None:
    driver = op.get_bind().connection.driver_connection
    previous = driver.execute("SELECT current_setting('search_path')").fetchone()[0]
    driver.execute(f"CREATE SCHEMA {QUEUE_SCHEMA}")
    driver.execute("SELECT set_config('search_path', %s, true)", (QUEUE_SCHEMA,))
    # No parameters: psycopg sends the script as it is (several statements, % untouched).
    driver.execute(QUEUE_SCHEMA_SQL.read_text(encoding="utf-8"))
    # procrastinate's functions and triggers name its tables unqualified: pin their
    # search_path, so that they work whoever calls them (Luna's own connections included).
    driver.execute(PIN_SEARCH_PATH)
    driver.execute("SELECT set_config('search_path', %s, true)", (previous,))


PIN_SEARCH_PATH = f"""
DO $$
DECLARE fn regprocedure;
BEGIN
    FOR fn IN SELECT p.oid::regprocedure FROM pg_proc p
              JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = '{QUEUE_SCHEMA}'
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = {QUEUE_SCHEMA}', fn);
    END LOOP;
END
$$;
"""


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP SCHEMA IF EXISTS {QUEUE_SCHEMA} CASCADE")
    op.drop_index("ix_booking_jobs_done_at_sent_at", table_name="booking_jobs")
    op.drop_index("ix_booking_jobs_plan_id", table_name="booking_jobs")
    op.drop_table("booking_jobs")
