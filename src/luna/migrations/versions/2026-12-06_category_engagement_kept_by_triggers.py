"""category engagement kept by the database: triggers on interactions and venues

Revision ID: b7d2e4f19a03
Revises: 6a1e9c3f2b70
Create Date: 2026-12-06 10:00:00

`category_engagement` (a person's positive interactions and dwell per venue category, what the
people recommender's `category` term reads) was kept in step by each write path in Python, and
one path (the demo loader) forgot: its totals stayed empty. Now the database keeps them, so no
path can forget, an operator's plain SQL included:

- PostgreSQL: statement-level triggers with transition tables on `interactions` (insert,
  delete, update) and on `venues` (a category change), each adding signed deltas per
  (person, category) in one upsert, in key order (concurrent writers lock shared rows in the
  same order). A row-level trigger before a venue's deletion takes its interactions out of
  the totals, since by the time the cascade deletes them the venue and its category are gone.
- SQLite: the same rules as row-level triggers.

A deleted person's deltas are skipped (their totals go with them by cascade). A total left at
zero by a removal is deleted; a row of zeros reads as no row. The totals are recounted once
here, which also mends a database the demo loader filled.

SQLite copies a table to alter it (batch mode) and the copy has no triggers: a later migration
that alters `interactions` or `venues` must create these again (tests/test_migrations.py checks
that the head schema has them).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b7d2e4f19a03"
down_revision: str | None = "6a1e9c3f2b70"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSITIVE = "('like', 'interest')"  # luna.models.enums.POSITIVE_INTERACTION_TYPES at this revision

# --- PostgreSQL -----------------------------------------------------------------------------

# Adds signed deltas (user_id, category, positive, dwell) to the totals: the one upsert.
_ADD_DELTAS = """
    INSERT INTO category_engagement (user_id, category, positive_count, dwell_seconds)
    SELECT d.user_id, d.category, sum(d.positive), sum(d.dwell)
    FROM ({deltas}) AS d
    JOIN users AS u ON u.id = d.user_id
    WHERE d.category IS NOT NULL
    GROUP BY d.user_id, d.category
    ORDER BY d.user_id, d.category
    ON CONFLICT (user_id, category) DO UPDATE SET
        positive_count = category_engagement.positive_count + excluded.positive_count,
        dwell_seconds = category_engagement.dwell_seconds + excluded.dwell_seconds;
"""
_DROP_ZEROS = """
    DELETE FROM category_engagement AS c
    USING ({deltas}) AS d
    WHERE c.user_id = d.user_id AND c.category = d.category
      AND c.positive_count = 0 AND c.dwell_seconds = 0;
"""


def _interaction_deltas(rows: str, sign: str) -> str:
    """Deltas of a transition table of interactions, at their venue's current category."""
    return f"""
        SELECT r.user_id, v.category,
               {sign}(CASE WHEN r.interaction_type IN {POSITIVE} THEN 1 ELSE 0 END) AS positive,
               {sign}r.dwell_time_seconds AS dwell
        FROM {rows} AS r JOIN venues AS v ON v.id = r.venue_id
    """


def _venue_deltas(venues: str, sign: str, condition: str = "true") -> str:
    """Deltas of every interaction at the venues of `venues`, in those rows' category."""
    return f"""
        SELECT i.user_id, s.category,
               {sign}(CASE WHEN i.interaction_type IN {POSITIVE} THEN 1 ELSE 0 END) AS positive,
               {sign}i.dwell_time_seconds AS dwell
        FROM ({venues}) AS s JOIN interactions AS i ON i.venue_id = s.id
        WHERE {condition}
    """


_CHANGED_VENUES = """
    SELECT o.id, o.category AS old_category, n.category AS new_category
    FROM old_venues AS o JOIN new_venues AS n ON n.id = o.id
    WHERE o.category IS DISTINCT FROM n.category
"""

_POSTGRES_TRIGGERS = {
    # name: (table, event and transition tables, deltas, removes something)
    "interactions_inserted": (
        "interactions",
        "AFTER INSERT ON interactions REFERENCING NEW TABLE AS new_rows",
        _interaction_deltas("new_rows", "+"),
        False,
    ),
    "interactions_deleted": (
        "interactions",
        "AFTER DELETE ON interactions REFERENCING OLD TABLE AS old_rows",
        _interaction_deltas("old_rows", "-"),
        True,
    ),
    "interactions_updated": (
        "interactions",
        "AFTER UPDATE ON interactions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        _interaction_deltas("old_rows", "-") + " UNION ALL " + _interaction_deltas("new_rows", "+"),
        True,
    ),
    "venues_recategorized": (
        "venues",
        "AFTER UPDATE ON venues REFERENCING OLD TABLE AS old_venues NEW TABLE AS new_venues",
        _venue_deltas(f"SELECT id, old_category AS category FROM ({_CHANGED_VENUES}) AS c", "-")
        + " UNION ALL "
        + _venue_deltas(f"SELECT id, new_category AS category FROM ({_CHANGED_VENUES}) AS c", "+"),
        True,
    ),
}


def _postgres_function(name: str, deltas: str, removes: bool) -> str:
    body = _ADD_DELTAS.format(deltas=deltas)
    if removes:
        body += _DROP_ZEROS.format(deltas=deltas)
    return f"""
        CREATE FUNCTION {name}_engagement() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {body}
            RETURN NULL;
        END $$
    """


# Before a venue goes: its interactions leave the totals (the cascade then finds no venue).
_POSTGRES_VENUE_DELETED = f"""
    CREATE FUNCTION venues_deleted_engagement() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_ADD_DELTAS.format(deltas=_venue_deltas("SELECT OLD.id, OLD.category", "-"))}
        {_DROP_ZEROS.format(deltas=_venue_deltas("SELECT OLD.id, OLD.category", "-"))}
        RETURN OLD;
    END $$
"""

# --- SQLite -----------------------------------------------------------------------------------


_POSITIVE_OF_I = f"CASE WHEN i.interaction_type IN {POSITIVE} THEN 1 ELSE 0 END"


def _sqlite_add(user: str, category: str, rows: str, condition: str) -> str:
    """Adds the interactions `rows` (aliased i) meeting `condition` to (`user`, `category`)."""
    return f"""
        INSERT INTO category_engagement (user_id, category, positive_count, dwell_seconds)
        SELECT {user}, {category}, sum({_POSITIVE_OF_I}), sum(i.dwell_time_seconds)
        FROM {rows}
        WHERE {condition} AND {category} IS NOT NULL
          AND EXISTS (SELECT 1 FROM users WHERE id = {user})
        GROUP BY {user}
        ON CONFLICT (user_id, category) DO UPDATE SET
            positive_count = positive_count + excluded.positive_count,
            dwell_seconds = dwell_seconds + excluded.dwell_seconds;
    """


def _sqlite_remove(category: str, rows: str, condition: str) -> str:
    """Takes the interactions `rows` (aliased i) meeting `condition` out of their person's
    total in `category`."""
    own = f"FROM {rows} WHERE {condition} AND i.user_id = category_engagement.user_id"
    return f"""
        UPDATE category_engagement SET
            positive_count = positive_count - (SELECT sum({_POSITIVE_OF_I}) {own}),
            dwell_seconds = dwell_seconds - (SELECT sum(i.dwell_time_seconds) {own})
        WHERE category = {category} AND user_id IN (SELECT i.user_id FROM {rows} WHERE {condition});
        DELETE FROM category_engagement
        WHERE category = {category} AND positive_count = 0 AND dwell_seconds = 0
          AND user_id IN (SELECT i.user_id FROM {rows} WHERE {condition});
    """


def _one_row(row: str) -> tuple[str, str]:
    """The interaction `row` (NEW or OLD) as rows aliased i, with its condition."""
    columns = ", ".join(
        f"{row}.{c} AS {c}" for c in ("user_id", "interaction_type", "dwell_time_seconds")
    )
    return f"(SELECT {columns}) AS i", "true"


def _category_of(row: str) -> str:
    return f"(SELECT category FROM venues WHERE id = {row}.venue_id)"


def _at_venue(row: str) -> tuple[str, str]:
    return "interactions AS i", f"i.venue_id = {row}.id"


_SQLITE_TRIGGERS = {
    "interactions_inserted": (
        "AFTER INSERT ON interactions",
        _sqlite_add("NEW.user_id", _category_of("NEW"), *_one_row("NEW")),
    ),
    "interactions_deleted": (
        "AFTER DELETE ON interactions",
        _sqlite_remove(_category_of("OLD"), *_one_row("OLD")),
    ),
    "interactions_updated": (
        "AFTER UPDATE ON interactions",
        _sqlite_remove(_category_of("OLD"), *_one_row("OLD"))
        + _sqlite_add("NEW.user_id", _category_of("NEW"), *_one_row("NEW")),
    ),
    "venues_recategorized": (
        "AFTER UPDATE OF category ON venues WHEN OLD.category IS NOT NEW.category",
        _sqlite_remove("OLD.category", *_at_venue("OLD"))
        + _sqlite_add("i.user_id", "NEW.category", *_at_venue("NEW")),
    ),
    "venues_deleted": (
        "BEFORE DELETE ON venues",
        _sqlite_remove("OLD.category", *_at_venue("OLD")),
    ),
}

_RECOUNT = f"""
    INSERT INTO category_engagement (user_id, category, positive_count, dwell_seconds)
    SELECT i.user_id, v.category,
           sum(CASE WHEN i.interaction_type IN {POSITIVE} THEN 1 ELSE 0 END),
           coalesce(sum(i.dwell_time_seconds), 0)
    FROM interactions AS i JOIN venues AS v ON v.id = i.venue_id
    WHERE v.category IS NOT NULL
    GROUP BY i.user_id, v.category
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, (_table, event, deltas, removes) in _POSTGRES_TRIGGERS.items():
            op.execute(_postgres_function(name, deltas, removes))
            op.execute(
                f"CREATE TRIGGER {name} {event} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION {name}_engagement()"
            )
        op.execute(_POSTGRES_VENUE_DELETED)
        op.execute(
            "CREATE TRIGGER venues_deleted BEFORE DELETE ON venues FOR EACH ROW "
            "EXECUTE FUNCTION venues_deleted_engagement()"
        )
    else:
        for name, (event, body) in _SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {event} BEGIN {body} END")
    op.execute("DELETE FROM category_engagement")
    op.execute(_RECOUNT)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, table in (
        *((name, spec[0]) for name, spec in _POSTGRES_TRIGGERS.items()),
        ("venues_deleted", "venues"),
    ):
        op.execute(f"DROP TRIGGER {name} ON {table}" if postgres else f"DROP TRIGGER {name}")
        if postgres:
            op.execute(f"DROP FUNCTION {name}_engagement()")
