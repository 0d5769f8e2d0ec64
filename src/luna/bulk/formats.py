"""The four bulk files (SPEC §5) and the rules every row must pass (the API's, SPEC §2).

Rows are checked by small hand-written functions rather than the API's pydantic models: a model
per row costs several times as much, which shows on a million rows. A test feeds the same values
to both and checks that they accept and reject alike.

Values come out ready for the target backend's staging table (`Encoding`): PostgreSQL's binary
COPY takes UUID objects and aware datetimes; SQLite gets exactly what SQLAlchemy's `Uuid` and
`UTCDateTime` write there, so imported rows cannot be told from rows created through the API.
"""

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from luna.bulk.errors import RowError
from luna.models import InteractionType, RelationshipType
from luna.venues.schemas import CATEGORY_PATTERN

Row = tuple[Any, ...]

# The API's limits (luna.schemas, luna.*.schemas).
HANDLE_LENGTH = (1, 64)
NAME_LENGTH = (1, 200)
DESCRIPTION_LENGTH = (0, 2000)
CATEGORY_MAX_LENGTH = 64
AGE_RANGE = (13, 120)
LAT_RANGE = (-90, 90)
LNG_RANGE = (-180, 180)
PRICE_LEVEL_RANGE = (1, 4)
RATING_RANGE = (0, 5)
DWELL_RANGE = (0, 86400)
STRENGTH_RANGE = (0, 1)
INTERACTION_TYPES = frozenset(t.value for t in InteractionType)
RELATIONSHIP_TYPES = frozenset(t.value for t in RelationshipType)

# Control characters other than tab, LF and CR (PostgreSQL refuses NUL in text anyway).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CATEGORY = re.compile(CATEGORY_PATTERN)
# The spellings the API (pydantic) accepts: 32 hex digits, or 8-4-4-4-12 optionally {braced}
# or prefixed urn:uuid:. uuid.UUID alone is laxer (hyphens anywhere, "+", "_").
_HYPHENATED = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_UUID = re.compile(rf"[0-9a-fA-F]{{32}}|(?:urn:uuid:)?{_HYPHENATED}|\{{{_HYPHENATED}\}}")
_INTEGRAL_DECIMAL = re.compile(r"\s*([+-]?[0-9]+)\.0+\s*", re.ASCII)
_parse_datetime = TypeAdapter(datetime).validate_python
# Ids repeat a lot in edges and interactions: parse each spelling once (bounded memory).
_ID_CACHE_SIZE = 500_000


def _sqlite_timestamp(value: datetime) -> str:
    """What UTCDateTime stores on SQLite: naive UTC, 'YYYY-MM-DD HH:MM:SS.ffffff'."""
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


@dataclass(frozen=True)
class Encoding:
    """How a backend's staging table takes UUIDs and (aware, UTC) timestamps."""

    uuid: Callable[[uuid.UUID], object]
    timestamp: Callable[[datetime], object]


# Binary COPY takes UUID and datetime objects as they are.
POSTGRES = Encoding(uuid=lambda value: value, timestamp=lambda value: value)
SQLITE = Encoding(uuid=lambda value: value.hex, timestamp=_sqlite_timestamp)


def _show(raw: str) -> str:
    return repr(raw if len(raw) <= 40 else raw[:40] + "...")


def _required(column: str, raw: str) -> None:
    if not raw:
        raise RowError(f"{column} is required")


def _text(column: str, raw: str, length: tuple[int, int]) -> str:
    """Like the API: no control characters, surrounding whitespace dropped, then the length."""
    _required(column, raw)
    if _CONTROL.search(raw):
        raise RowError(f"{column} must not contain control characters")
    value = raw.strip()
    low, high = length
    if not low <= len(value) <= high:
        if low == 0:
            raise RowError(f"{column} must be at most {high} characters long")
        raise RowError(f"{column} must be {low} to {high} characters long")
    return value


def _int(column: str, raw: str, bounds: tuple[int, int]) -> int:
    try:
        if not raw.isascii():  # int() also reads other scripts' digits; the API does not
            raise ValueError
        value = int(raw)
    except ValueError:
        _required(column, raw)
        # pydantic also takes an integral decimal such as "13.0", so the API does.
        match = _INTEGRAL_DECIMAL.fullmatch(raw)
        if match is None:
            raise RowError(f"{column} must be a whole number, not {_show(raw)}") from None
        value = int(match[1])
    low, high = bounds
    if not low <= value <= high:
        raise RowError(f"{column} must be between {low} and {high}")
    return value


def _float(column: str, raw: str, bounds: tuple[int, int]) -> float:
    try:
        if not raw.isascii():  # as for _int
            raise ValueError
        value = float(raw)
    except ValueError:
        _required(column, raw)
        raise RowError(f"{column} must be a number, not {_show(raw)}") from None
    low, high = bounds
    if not low <= value <= high:  # also false for NaN
        raise RowError(f"{column} must be between {low} and {high}")
    return value


def _choice(column: str, raw: str, allowed: frozenset[str]) -> str:
    if raw not in allowed:
        _required(column, raw)
        raise RowError(f"{column} must be one of {', '.join(sorted(allowed))}, not {_show(raw)}")
    return raw


class RowParser:
    """Turns the text fields of one row into staging values, or raises RowError.

    One parser per file: it caches parsed ids, and `now` fills an empty `occurred_at`.
    """

    def __init__(self, encoding: Encoding, now: datetime) -> None:
        self._encoding = encoding
        self._now = encoding.timestamp(now)
        self._ids: dict[str, object] = {}

    def uuid(self, column: str, raw: str) -> object:
        value = self._ids.get(raw)
        if value is not None:
            return value
        _required(column, raw)
        if not _UUID.fullmatch(raw):
            raise RowError(f"{column} must be a UUID, not {_show(raw)}")
        value = self._encoding.uuid(uuid.UUID(raw))
        if len(self._ids) < _ID_CACHE_SIZE:
            self._ids[raw] = value
        return value

    def timestamp(self, column: str, raw: str) -> object:
        """Parsed as the API parses it (pydantic's parser, cheap enough); naive is UTC."""
        try:
            value = _parse_datetime(raw)
        except ValidationError:
            message = f"{column} must be an ISO-8601 date and time, not {_show(raw)}"
            raise RowError(message) from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        else:
            try:
                value = value.astimezone(UTC)
            except OverflowError:
                raise RowError(f"{column} is out of range") from None
        return self._encoding.timestamp(value)

    def user(self, fields: Sequence[str]) -> Row:
        id_, handle, name, age, home_lat, home_lng = fields
        row = (
            self.uuid("id", id_),
            _text("handle", handle, HANDLE_LENGTH),
            _text("name", name, NAME_LENGTH),
            _int("age", age, AGE_RANGE) if age else None,
            _float("home_lat", home_lat, LAT_RANGE) if home_lat else None,
            _float("home_lng", home_lng, LNG_RANGE) if home_lng else None,
        )
        if (row[4] is None) != (row[5] is None):
            raise RowError("home_lat and home_lng must be given together (both or neither)")
        return row

    def venue(self, fields: Sequence[str]) -> Row:
        id_, name, description, category, lat, lng, price_level, rating = fields
        return (
            self.uuid("id", id_),
            _text("name", name, NAME_LENGTH),
            _text("description", description, DESCRIPTION_LENGTH) if description else None,
            _category(category) if category else None,
            _float("lat", lat, LAT_RANGE),
            _float("lng", lng, LNG_RANGE),
            _int("price_level", price_level, PRICE_LEVEL_RANGE) if price_level else None,
            _float("rating", rating, RATING_RANGE) if rating else None,
        )

    def edge(self, fields: Sequence[str]) -> Row:
        user_id, other_user_id, relationship_type, strength = fields
        row = (
            self.uuid("user_id", user_id),
            self.uuid("other_user_id", other_user_id),
            _choice("relationship_type", relationship_type, RELATIONSHIP_TYPES),
            _float("strength", strength, STRENGTH_RANGE),
        )
        if row[0] == row[1]:
            raise RowError("a user cannot have an edge to themselves")
        return row

    def interaction(self, fields: Sequence[str]) -> Row:
        # The hot path (millions of rows): cache hits first, no helper calls for defaults.
        user_id, venue_id, interaction_type, dwell, occurred_at = fields
        ids = self._ids
        return (
            ids.get(user_id) or self.uuid("user_id", user_id),
            ids.get(venue_id) or self.uuid("venue_id", venue_id),
            interaction_type
            if interaction_type in INTERACTION_TYPES
            else _choice("interaction_type", interaction_type, INTERACTION_TYPES),
            _int("dwell_time_seconds", dwell, DWELL_RANGE) if dwell else 0,
            self.timestamp("occurred_at", occurred_at) if occurred_at else self._now,
        )


def _category(raw: str) -> str:
    """Lower-cased first, then a word of letters, digits and hyphens (as the API)."""
    value = raw.lower().strip()
    if len(value) > CATEGORY_MAX_LENGTH or not _CATEGORY.fullmatch(value):
        raise RowError(
            "category must be a lower-case word of letters, digits and hyphens "
            f"(at most {CATEGORY_MAX_LENGTH} characters), not {_show(raw)}"
        )
    return value


@dataclass(frozen=True)
class FileSpec:
    """One bulk file: its name without extension, its columns and its row parser."""

    stem: str
    columns: tuple[str, ...]
    parse: Callable[[RowParser, Sequence[str]], Row]


USERS = FileSpec("users", ("id", "handle", "name", "age", "home_lat", "home_lng"), RowParser.user)
VENUES = FileSpec(
    "venues",
    ("id", "name", "description", "category", "lat", "lng", "price_level", "rating"),
    RowParser.venue,
)
SOCIAL_EDGES = FileSpec(
    "social_edges", ("user_id", "other_user_id", "relationship_type", "strength"), RowParser.edge
)
INTERACTIONS = FileSpec(
    "interactions",
    ("user_id", "venue_id", "interaction_type", "dwell_time_seconds", "occurred_at"),
    RowParser.interaction,
)
# Load order: what a file refers to is loaded before it.
FILES = (USERS, VENUES, SOCIAL_EDGES, INTERACTIONS)
