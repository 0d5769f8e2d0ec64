"""Declarative base, shared column types and the constraint naming convention."""

import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, MetaData, TypeDecorator, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def uuid7() -> uuid.UUID:
    """A time-ordered UUID (RFC 9562 version 7: 48-bit Unix milliseconds, then random bits).

    For the ids of high-volume rows (interactions): new keys land at the right edge of the
    primary-key index instead of on a random page, which makes inserting into a table of
    millions about a quarter faster. Still unguessable enough for ids (74 random bits)."""
    return uuid.UUID(int=_uuid7_int(time.time_ns() // 1_000_000, os.urandom(10)))


def uuid7_hex(count: int) -> list[str]:
    """`count` new uuid7s as 32 hex digits (a form PostgreSQL reads as a uuid), for bulk
    COPY: one call for the randomness and no UUID objects (a fifth of the cost per id)."""
    millis = time.time_ns() // 1_000_000
    randomness = os.urandom(10 * count)
    return [f"{_uuid7_int(millis, randomness[i : i + 10]):032x}" for i in range(0, 10 * count, 10)]


def _uuid7_int(millis: int, random_bytes: bytes) -> int:
    value = millis << 80 | int.from_bytes(random_bytes, "big")
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    return value & ~(0x3 << 62) | 0x2 << 62  # RFC 9562 variant


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend.

    PostgreSQL stores `timestamptz`; SQLite has no time zones, so values are stored as naive
    UTC and given their offset back on load. Naive inputs are taken as UTC (SPEC §1).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {uuid.UUID: Uuid(), datetime: UTCDateTime()}


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class CreatedAtMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
