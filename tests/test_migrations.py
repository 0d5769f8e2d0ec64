"""The schema is made only by Alembic migrations, and they produce exactly the models."""

import json
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from luna.config import Settings
from luna.db import create_db_engine
from luna.migrate import downgrade, is_at_head, upgrade
from luna.models import Base
from luna.models import ExperimentExposure as E


def raw_id(backend: str):
    """How a Uuid column holds an id in raw SQL: 32 hex digits on SQLite, text on PostgreSQL."""
    return (lambda u: u.hex) if backend == "sqlite" else str


def insert_user(conn, user_id: str, now: str) -> None:
    conn.execute(
        text("INSERT INTO users (id, handle, name, created_at) VALUES (:id, 'h', 'n', :t)"),
        {"id": user_id, "t": now},
    )


def schema_diff(engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_migrations_match_models(engine):
    assert is_at_head(engine)
    assert schema_diff(engine) == []


def test_case_insensitive_handle_index_exists(engine, backend):
    """Autogenerate cannot compare expression indexes on SQLite, so look for it directly."""
    if backend == "sqlite":
        with engine.connect() as conn:
            sql = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'uq_users_handle_lower'")
            ).scalar_one()
        assert "UNIQUE" in sql.upper() and "lower(handle)" in sql
    else:
        indexes = {ix["name"]: ix for ix in inspect(engine).get_indexes("users")}
        assert indexes["uq_users_handle_lower"]["unique"]
        assert indexes["uq_users_handle_lower"]["expressions"] == ["lower(handle::text)"]


@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_downgrade_to_base_and_back(db_url):
    engine = create_db_engine(Settings(database_url=db_url))
    try:
        downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert is_at_head(engine)
        assert schema_diff(engine) == []
    finally:
        engine.dispose()


def test_sqlite_enforces_foreign_keys(tmp_path):
    engine = create_db_engine(Settings(database_url=f"sqlite:///{tmp_path / 'fk.db'}"))
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_upgrade_keeps_rows_of_tables_referring_to_a_rebuilt_table(db_url, backend):
    """SQLite rebuilds `plans` in the second migration; its participants and bookings must
    survive (a DROP TABLE with foreign keys on would cascade-delete them)."""
    engine = create_db_engine(Settings(database_url=db_url))
    downgrade(engine, "base")
    upgrade(engine, "92ea349b1489")
    as_id = raw_id(backend)
    user, venue, plan, booking = (uuid.uuid4() for _ in range(4))
    now = "2030-01-01 00:00:00"
    with engine.begin() as conn:
        insert_user(conn, as_id(user), now)
        conn.execute(
            text("INSERT INTO venues (id, name, lat, lng, created_at) VALUES (:id, 'v', 0, 0, :t)"),
            {"id": as_id(venue), "t": now},
        )
        conn.execute(
            text(
                "INSERT INTO plans (id, organizer_id, venue_id, start_time, status, created_at) "
                "VALUES (:id, :u, :v, :t, 'confirmed', :t)"
            ),
            {"id": as_id(plan), "u": as_id(user), "v": as_id(venue), "t": now},
        )
        conn.execute(
            text(
                "INSERT INTO plan_participants (plan_id, user_id, status, created_at) "
                "VALUES (:p, :u, 'accepted', :t)"
            ),
            {"p": as_id(plan), "u": as_id(user), "t": now},
        )
        conn.execute(
            text(
                "INSERT INTO bookings (id, plan_id, provider, external_ref, status, party_size, "
                "created_at) VALUES (:id, :p, 'mock', 'ref', 'booked', 1, :t)"
            ),
            {"id": as_id(booking), "p": as_id(plan), "t": now},
        )
    upgrade(engine)
    with engine.connect() as conn:
        counts = [
            conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            for table in ("plans", "plan_participants", "bookings")
        ]
    engine.dispose()
    assert counts == [1, 1, 1]


# The triggers that keep category_engagement (migration b7d2e4f19a03). SQLite drops a table's
# triggers when a batch migration copies it, so a later migration could lose them silently.
CATEGORY_TRIGGERS = {
    "interactions_inserted",
    "interactions_deleted",
    "interactions_updated",
    "venues_recategorized",
    "venues_deleted",
}
TRIGGER_NAMES = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger'",
    "postgresql": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal",
}


def test_head_schema_has_the_category_engagement_triggers(engine, backend):
    with engine.connect() as conn:
        names = set(conn.execute(text(TRIGGER_NAMES[backend])).scalars())
    assert names >= CATEGORY_TRIGGERS


def test_trigger_migration_recounts_totals_a_loader_left_empty(db_url, backend):
    """Before the triggers, the demo loader wrote interactions without their totals; the
    migration mends such a database."""
    engine = create_db_engine(Settings(database_url=db_url))
    downgrade(engine, "6a1e9c3f2b70")
    as_id = raw_id(backend)
    user, bar, museum = (uuid.uuid4() for _ in range(3))
    now = "2030-01-01 00:00:00"
    with engine.begin() as conn:
        insert_user(conn, as_id(user), now)
        for venue, category in ((bar, "bar"), (museum, None)):
            conn.execute(
                text(
                    "INSERT INTO venues (id, name, category, lat, lng, created_at)"
                    " VALUES (:id, 'v', :c, 0, 0, :t)"
                ),
                {"id": as_id(venue), "c": category, "t": now},
            )
        for n, (venue, kind, dwell) in enumerate(
            ((bar, "like", 10), (bar, "view", 5), (museum, "like", 7))
        ):
            conn.execute(
                text(
                    "INSERT INTO interactions (id, user_id, venue_id, interaction_type,"
                    " dwell_time_seconds, occurred_at, created_at)"
                    " VALUES (:id, :u, :v, :k, :d, :t, :t)"
                ),
                {
                    "id": as_id(uuid.UUID(int=n + 1)),
                    "u": as_id(user),
                    "v": as_id(venue),
                    "k": kind,
                    "d": dwell,
                    "t": now,
                },
            )
    upgrade(engine)
    with engine.connect() as conn:
        totals = conn.execute(
            text("SELECT category, positive_count, dwell_seconds FROM category_engagement")
        ).all()
    engine.dispose()
    assert [tuple(t) for t in totals] == [("bar", 1, 15)]


def test_exposure_items_move_onto_the_exposure_and_back(db_url, backend):
    """Migration e5b70c29d8a1: exposures written with a row per item read back the same from
    the arrays (order and arms kept, arms NULL in an A/B test), and the downgrade restores
    the rows. SQLite keeps the ids as the hex text of its other Uuid columns."""
    engine = create_db_engine(Settings(database_url=db_url))
    downgrade(engine, "d91f3a6c2e48")
    as_id = raw_id(backend)
    user, experiment = uuid.uuid4(), uuid.uuid4()
    ab, interleaved, empty = (uuid.UUID(int=n) for n in (1, 2, 3))
    items = {ab: [(uuid.uuid4(), None) for _ in range(3)]}
    items[interleaved] = [(uuid.uuid4(), arm) for arm in ("near", "popular", "near")]
    now = "2030-01-01 00:00:00"
    with engine.begin() as conn:
        insert_user(conn, as_id(user), now)
        conn.execute(
            text(
                "INSERT INTO experiments (id, key, surface, mode, status, attribution_hours,"
                " arms, created_at) VALUES (:id, 'k', 'venues', 'ab', 'stopped', 24, '[]', :t)"
            ),
            {"id": as_id(experiment), "t": now},
        )
        for exposure in (ab, interleaved, empty):
            conn.execute(
                text(
                    "INSERT INTO experiment_exposures (id, experiment_id, arm, user_id,"
                    " shown_at, expires_at) VALUES (:id, :x, 'a', :u, :t, :t)"
                ),
                {"id": as_id(exposure), "x": as_id(experiment), "u": as_id(user), "t": now},
            )
            # Written in reverse: the arrays follow position, not insertion order.
            for position, (item, arm) in reversed(list(enumerate(items.get(exposure, [])))):
                conn.execute(
                    text(
                        "INSERT INTO experiment_exposure_items (exposure_id, position, item_id,"
                        " arm) VALUES (:e, :p, :i, :a)"
                    ),
                    {"e": as_id(exposure), "p": position, "i": as_id(item), "a": arm},
                )
    upgrade(engine)
    with Session(engine) as session:
        read = {e.id: (e.item_ids, e.item_arms) for e in session.scalars(select(E))}
    assert read == {
        ab: ([item for item, _ in items[ab]], None),
        interleaved: ([item for item, _ in items[interleaved]], ["near", "popular", "near"]),
        empty: ([], None),
    }
    if backend == "sqlite":
        with engine.connect() as conn:
            stored = conn.execute(
                text("SELECT item_ids FROM experiment_exposures WHERE id = :id"),
                {"id": ab.hex},
            ).scalar_one()
        assert json.loads(stored) == [item.hex for item, _ in items[ab]]
    downgrade(engine, "d91f3a6c2e48")
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT exposure_id, position, item_id, arm FROM experiment_exposure_items"
                " ORDER BY exposure_id, position"
            )
        ).all()
    upgrade(engine)
    engine.dispose()
    raw = as_id if backend == "sqlite" else (lambda u: u)  # what the text query returns
    assert [tuple(r) for r in rows] == [
        (raw(exposure), position, raw(item), arm)
        for exposure in (ab, interleaved)
        for position, (item, arm) in enumerate(items[exposure])
    ]
