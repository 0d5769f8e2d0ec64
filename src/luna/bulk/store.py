"""All the SQL of the bulk import.

A file goes through a TEMP staging table that carries each row's line number: rows are
streamed in (COPY on PostgreSQL, executemany on SQLite), then whatever needs the database —
references to users and venues, repeated ids, handles taken — is checked with one set-based
query per rule that returns the first offending line, and finally one INSERT ... SELECT (upsert
for users, venues and edges) moves the rows to their table. Row-by-row round trips would be
orders of magnitude slower.
"""

import itertools
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pgpq import ArrowToPostgresBinaryEncoder
from sqlalchemy import Connection, Row, bindparam, text

from luna.bulk.errors import BulkImportError
from luna.bulk.formats import INTERACTIONS, SOCIAL_EDGES, USERS, VENUES, FileSpec
from luna.models.base import UTCDateTime

# Staging column types per backend. On PostgreSQL they are also the COPY (binary) types; on
# SQLite values are stored the way SQLAlchemy's Uuid and UTCDateTime store them (Staging.load).
_TYPES = {
    "postgresql": {
        "line": "int8",
        "uuid": "uuid",
        "text": "text",
        "int": "int4",
        "float": "float8",
        "timestamp": "timestamptz",
    },
    "sqlite": {
        "line": "INTEGER",
        "uuid": "TEXT",
        "text": "TEXT",
        "int": "INTEGER",
        "float": "REAL",
        "timestamp": "TEXT",
    },
}

# Both backends maintain every index (PostgreSQL also checks every foreign key) row by row:
# appending a million interactions that way takes ~50 s on PostgreSQL and ~90 s on SQLite on a
# 2-core machine, against ~6 s and ~10 s for building them afresh after the INSERT (PostgreSQL's
# "Populating a Database" advice). So when a file brings at least a quarter as many rows as the
# table holds, the table's indexes (and on PostgreSQL its keys) are dropped before the INSERT and
# re-created after it, in the same transaction: a rollback restores them, and the table is
# locked against other writers (on PostgreSQL also readers) until the file's import commits.
_REBUILD_WHEN_TABLE_BELOW = 4  # times the number of new rows

# SQLite's default page cache (2 MB) thrashes on big index builds; 256 MB is an upper bound,
# only used while the import runs on that connection.
_SQLITE_CACHE_KIB = 256 * 1024

# A fresh UUID v4 per row: PostgreSQL has gen_random_uuid(); on SQLite we build the 32 hex
# digits SQLAlchemy's Uuid stores, with the version nibble (4) and variant nibble (8-b) set.
_NEW_UUID = {
    "postgresql": "gen_random_uuid()",
    "sqlite": (
        "lower(hex(randomblob(4)) || hex(randomblob(2)) || '4' || substr(hex(randomblob(2)), 2)"
        " || substr('89ab', 1 + (random() & 3), 1) || substr(hex(randomblob(2)), 2)"
        " || hex(randomblob(6)))"
    ),
}


def _id(value: Any) -> str:
    """A UUID as people write it, whichever backend returned it."""
    return str(uuid.UUID(str(value)))


@dataclass(frozen=True)
class _Check:
    """A query returning the first offending staged row (line first), and its message."""

    sql: str
    message: Callable[[Row[Any]], str]


def _repeated(key: str, shown: str, message: Callable[[Row[Any]], str]) -> _Check:
    """Rows whose `key` (an SQL expression list) already appeared on an earlier line."""
    return _Check(
        f"""
        SELECT line, first_line, {shown} FROM (
            SELECT line, {shown}, min(line) OVER (PARTITION BY {key}) AS first_line
            FROM {{staging}}
        ) AS numbered
        WHERE line > first_line ORDER BY line LIMIT 1
        """,
        message,
    )


def _missing(column: str, table: str, noun: str) -> _Check:
    """Rows whose `column` names no row of `table`."""
    return _Check(
        f"""
        SELECT s.line, s.{column} AS ref FROM {{staging}} AS s
        WHERE NOT EXISTS (SELECT 1 FROM {table} AS t WHERE t.id = s.{column})
        ORDER BY s.line LIMIT 1
        """,
        lambda row: f"{column} {_id(row.ref)}: {noun} not found",
    )


def _repeated_id(row: Row[Any]) -> str:
    return f"id {_id(row.id)} is repeated (first on line {row.first_line})"


@dataclass(frozen=True)
class _FileSql:
    types: tuple[str, ...]  # of the staged values, in the file's column order (see _TYPES)
    checks: tuple[_Check, ...]
    merge: tuple[str, ...]  # run in order; `:now` is the import's time
    appends_to: str | None = None  # the table a pure INSERT fills (see _REBUILD_...)
    analyze: tuple[str, ...] = ()  # tables whose statistics the merge changes much
    # For an upsert: the table, and a plain INSERT to use instead while that table is empty
    # (nothing to conflict with; then it is filled like an append, indexes rebuilt after).
    upserts_into: str | None = None
    insert_when_empty: str | None = None


_SQL: dict[str, _FileSql] = {
    USERS.stem: _FileSql(
        types=("uuid", "text", "text", "int", "float", "float"),
        checks=(
            _repeated("id", "id", _repeated_id),
            # lower() as in the unique index uq_users_handle_lower: both agree on each backend.
            _repeated(
                "lower(handle)",
                "handle",
                lambda row: f"handle {row.handle!r} is already taken (line {row.first_line})",
            ),
            # Taken by a user the file does not rename (a renamed one is the check above).
            _Check(
                """
                SELECT s.line, s.handle, u.id FROM {staging} AS s
                JOIN users AS u ON lower(u.handle) = lower(s.handle) AND u.id <> s.id
                WHERE NOT EXISTS (SELECT 1 FROM {staging} AS t WHERE t.id = u.id)
                ORDER BY s.line LIMIT 1
                """,
                lambda row: f"handle {row.handle!r} is already taken (by user {_id(row.id)})",
            ),
        ),
        analyze=("users",),
        merge=(
            # The unique index on lower(handle) is checked row by row, so a file that swaps two
            # handles (or gives a new user the old handle of a renamed one) would trip over
            # itself: park the handles that change on a unique placeholder first.
            """
            UPDATE users SET handle = '#' || CAST(id AS TEXT)
            WHERE id IN (
                SELECT s.id FROM {staging} AS s JOIN users AS u ON u.id = s.id
                WHERE u.handle <> s.handle
            )
            """,
            # WHERE true: SQLite's parser needs it before ON CONFLICT in INSERT ... SELECT.
            """
            INSERT INTO users (id, handle, name, age, home_lat, home_lng, created_at)
            SELECT id, handle, name, age, home_lat, home_lng, :now FROM {staging} WHERE true
            ON CONFLICT (id) DO UPDATE SET
                handle = excluded.handle, name = excluded.name, age = excluded.age,
                home_lat = excluded.home_lat, home_lng = excluded.home_lng
            """,
        ),
    ),
    VENUES.stem: _FileSql(
        types=("uuid", "text", "text", "text", "float", "float", "int", "float"),
        checks=(_repeated("id", "id", _repeated_id),),
        analyze=("venues", "category_engagement"),
        merge=(
            # booking_provider is not in the file: a new venue gets the default, an existing
            # one keeps its own.
            """
            INSERT INTO venues
                (id, name, description, category, lat, lng, price_level, rating, created_at)
            SELECT id, name, description, category, lat, lng, price_level, rating, :now
            FROM {staging} WHERE true
            ON CONFLICT (id) DO UPDATE SET
                name = excluded.name, description = excluded.description,
                category = excluded.category, lat = excluded.lat, lng = excluded.lng,
                price_level = excluded.price_level, rating = excluded.rating
            """,
        ),
    ),
    SOCIAL_EDGES.stem: _FileSql(
        types=("uuid", "uuid", "text", "float"),
        checks=(
            _repeated(
                "user_id, other_user_id",
                "user_id, other_user_id",
                lambda row: (
                    f"edge {_id(row.user_id)} -> {_id(row.other_user_id)} is repeated"
                    f" (first on line {row.first_line})"
                ),
            ),
            _missing("user_id", "users", "user"),
            _missing("other_user_id", "users", "user"),
        ),
        analyze=("social_edges",),
        merge=(
            """
            INSERT INTO social_edges
                (user_id, other_user_id, relationship_type, strength, created_at)
            SELECT user_id, other_user_id, relationship_type, strength, :now
            FROM {staging} WHERE true
            ON CONFLICT (user_id, other_user_id) DO UPDATE SET
                relationship_type = excluded.relationship_type, strength = excluded.strength
            """,
        ),
        upserts_into="social_edges",
        insert_when_empty="""
            INSERT INTO social_edges
                (user_id, other_user_id, relationship_type, strength, created_at)
            SELECT user_id, other_user_id, relationship_type, strength, :now
            FROM {staging}
            """,
    ),
    INTERACTIONS.stem: _FileSql(
        types=("uuid", "uuid", "text", "int", "timestamp"),
        checks=(_missing("user_id", "users", "user"), _missing("venue_id", "venues", "venue")),
        merge=(
            """
            INSERT INTO interactions (id, user_id, venue_id, interaction_type,
                                      dwell_time_seconds, occurred_at, created_at)
            SELECT {new_uuid}, user_id, venue_id, interaction_type, dwell_time_seconds,
                   occurred_at, :now
            FROM {staging}
            """,
            # Recorded at :now but committed later, maybe after a stored window's cut: every
            # server process's next window counts popularity afresh.
            "DELETE FROM popularity_windows",
        ),
        appends_to="interactions",
        analyze=("interactions", "category_engagement"),
    ),
}


# Whether rebuilding pays: the table holds fewer than :cap rows (counted up to that bound only,
# cheap on a big table), and on PostgreSQL we own it (only the owner may drop its indexes;
# otherwise the slow way still works).
_REBUILD_PAYS = {
    "postgresql": """
        SELECT pg_has_role(c.relowner, 'USAGE')
               AND (SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT :cap) AS e) < :cap
        FROM pg_class AS c WHERE c.oid = CAST(:table AS regclass)
    """,
    "sqlite": "SELECT (SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT :cap)) < :cap",
}

# A table's indexes and keys as (drop, re-create, step) rows, in re-create order.
# PostgreSQL: primary and unique keys (unless another table's foreign key needs them), plain
# indexes, then foreign keys (each checked in one pass when re-created). SQLite: the indexes
# that have their own CREATE statement (not the primary key's; its foreign keys are no indexes).
_INDEX_DDL = {
    "postgresql": """
        SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname),
               format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
                      pg_get_constraintdef(c.oid)),
               CASE c.contype WHEN 'f' THEN 3 ELSE 1 END AS step
        FROM pg_constraint AS c
        WHERE c.conrelid = CAST(:table AS regclass)
          AND (c.contype = 'f' OR (c.contype IN ('p', 'u') AND NOT EXISTS (
              SELECT 1 FROM pg_constraint AS r WHERE r.contype = 'f' AND r.confrelid = c.conrelid
          )))
        UNION ALL
        SELECT format('DROP INDEX %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid), 2
        FROM pg_index AS i
        WHERE i.indrelid = CAST(:table AS regclass)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid)
        ORDER BY step
    """,
    "sqlite": """
        SELECT 'DROP INDEX "' || replace(name, '"', '""') || '"', sql, 2 AS step
        FROM sqlite_master WHERE type = 'index' AND tbl_name = :table AND sql IS NOT NULL
        ORDER BY name
    """,
}


def _sqlite_values(column: pa.ChunkedArray) -> list[Any]:
    """A staged column as SQLAlchemy's Uuid (32 hex digits) and UTCDateTime store it."""
    if pa.types.is_fixed_size_binary(column.type):
        return [None if value is None else value.hex() for value in column.to_pylist()]
    if pa.types.is_timestamp(column.type):
        column = pc.strftime(column, "%Y-%m-%d %H:%M:%S")  # 'YYYY-MM-DD HH:MM:SS.ffffff'
    return column.to_pylist()


_POSTGRES_IMPORT_MEMORY = {"work_mem": "256MB", "maintenance_work_mem": "1GB"}


class Staging:
    """The staging table of one file, inside the caller's transaction.

    On PostgreSQL it is dropped at commit or rollback; on SQLite it is dropped after the merge
    (and its creation is undone by a rollback).
    """

    def __init__(self, conn: Connection, spec: FileSpec) -> None:
        dialect = conn.dialect.name
        if dialect not in _TYPES:
            raise BulkImportError(f"bulk import does not support the {dialect} database")
        self._conn = conn
        self._dialect = dialect
        self._postgres = dialect == "postgresql"
        self._sql = _SQL[spec.stem]
        self._table = f"bulk_{spec.stem}"
        self._placeholders = {"staging": self._table, "new_uuid": _NEW_UUID[dialect]}
        types = _TYPES[dialect]
        self._columns = ("line", *spec.columns)
        self._types = [types["line"], *(types[kind] for kind in self._sql.types)]
        assert len(self._types) == len(self._columns)
        columns = ", ".join(f"{c} {t}" for c, t in zip(self._columns, self._types, strict=True))
        if self._postgres:
            # Sorts and hashes of millions of rows (checks, index rebuilds) in memory, for
            # this transaction only.
            for setting, value in _POSTGRES_IMPORT_MEMORY.items():
                conn.exec_driver_sql(f"SET LOCAL {setting} = '{value}'")
            conn.exec_driver_sql(f"CREATE TEMP TABLE {self._table} ({columns}) ON COMMIT DROP")
        else:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{self._table}")
            conn.exec_driver_sql(f"CREATE TEMP TABLE {self._table} ({columns})")
        self._sqlite_cache: dict[str, int] = {}

    def __enter__(self) -> "Staging":
        if not self._postgres:  # a bigger page cache for the import (see _SQLITE_CACHE_KIB)
            for schema in ("main", "temp"):
                pragma = f"PRAGMA {schema}.cache_size"
                self._sqlite_cache[schema] = self._conn.exec_driver_sql(pragma).scalar_one()
                self._conn.exec_driver_sql(f"{pragma} = -{_SQLITE_CACHE_KIB}")
        return self

    def __exit__(self, *exc_info: object) -> None:
        for schema, size in self._sqlite_cache.items():
            self._conn.exec_driver_sql(f"PRAGMA {schema}.cache_size = {int(size)}")

    def load(self, tables: Iterable[pa.Table]) -> None:
        """Streams rows in: Arrow tables of `line` and the file's columns, as
        `luna.bulk.reader.BulkFile` yields them. PostgreSQL takes them by binary COPY (pgpq
        encodes them), SQLite by executemany, UUIDs and timestamps as SQLAlchemy's Uuid and
        UTCDateTime store them."""
        driver = self._conn.connection.driver_connection
        assert driver is not None
        names = ", ".join(self._columns)
        if self._postgres:
            tables = iter(tables)
            first = next(tables, None)
            with driver.cursor() as cursor:
                if first is not None:
                    encoder = ArrowToPostgresBinaryEncoder(first.schema)
                    sql = f"COPY {self._table} ({names}) FROM STDIN (FORMAT BINARY)"
                    with cursor.copy(sql) as copy:
                        copy.write(encoder.write_header())
                        for table in itertools.chain([first], tables):
                            for batch in table.to_batches():
                                copy.write(encoder.write_batch(batch))
                        copy.write(encoder.finish())
                cursor.execute(f"ANALYZE {self._table}")  # fair plans for the queries below
            return
        marks = ", ".join("?" * len(self._columns))
        sql = f"INSERT INTO {self._table} ({names}) VALUES ({marks})"
        cursor = driver.cursor()
        try:
            for table in tables:
                columns = [_sqlite_values(column) for column in table.columns]
                cursor.executemany(sql, zip(*columns, strict=True))
        finally:
            cursor.close()

    def first_problem(self) -> tuple[int, str] | None:
        """The first staged row that a database-wide rule rejects: (line, message)."""
        found = []
        for check in self._sql.checks:
            row = self._conn.exec_driver_sql(check.sql.format(**self._placeholders)).first()
            if row is not None:
                found.append((row.line, check.message(row)))
        return min(found, default=None)

    def merge(self, now: datetime) -> int:
        """Moves the staged rows to their table; returns how many there were."""
        conn = self._conn
        count = int(conn.exec_driver_sql(f"SELECT count(*) FROM {self._table}").scalar_one())
        target, statements = self._sql.appends_to, self._sql.merge
        upserted, plain_insert = self._sql.upserts_into, self._sql.insert_when_empty
        if upserted and plain_insert and self._is_empty(upserted):
            # The checks refused repeated keys, so an empty table has nothing to conflict
            # with: 2.5 million edges go in ~5x faster with their keys rebuilt after.
            target, statements = upserted, (plain_insert,)
        rebuild = target is not None and self._rebuild_pays(target, count)
        recreate = self._drop_indexes(target) if rebuild and target else []
        for statement in statements:
            sql = text(statement.format(**self._placeholders))
            if ":now" in statement:  # typed, so SQLite gets UTCDateTime's storage format
                sql = sql.bindparams(bindparam("now", now, type_=UTCDateTime()))
            conn.execute(sql)
        for ddl in recreate:
            conn.exec_driver_sql(ddl)
        # Fresh statistics, or the first queries after a big import plan for an empty table.
        for table in self._sql.analyze:
            conn.exec_driver_sql(f"ANALYZE {table}")
        if not self._postgres:
            conn.exec_driver_sql(f"DROP TABLE temp.{self._table}")
        return count

    def _is_empty(self, table: str) -> bool:
        sql = f"SELECT NOT EXISTS (SELECT 1 FROM {table})"
        return bool(self._conn.exec_driver_sql(sql).scalar_one())

    def _rebuild_pays(self, table: str, new_rows: int) -> bool:
        cap = new_rows * _REBUILD_WHEN_TABLE_BELOW
        sql = text(_REBUILD_PAYS[self._dialect].format(table=table))
        params: dict[str, Any] = {"cap": cap}
        if self._postgres:
            params["table"] = table
        return new_rows > 0 and bool(self._conn.execute(sql, params).scalar_one())

    def _drop_indexes(self, table: str) -> list[str]:
        """Drops the table's indexes and keys; returns the statements that re-create them."""
        if self._postgres:
            self._conn.exec_driver_sql(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        ddl = self._conn.execute(text(_INDEX_DDL[self._dialect]), {"table": table}).all()
        for drop, _create, _step in reversed(ddl):
            self._conn.exec_driver_sql(drop)
        return [create for _drop, create, _step in ddl]
