"""The four bulk files (SPEC §5) and the rules every row must pass (the API's, SPEC §2).

Rows are checked by small hand-written functions rather than the API's pydantic models: a model
per row costs several times as much, which shows on a million rows. A test feeds the same values
to both and checks that they accept and reject alike.

Values come out ready for the target backend's staging table (`Encoding`): PostgreSQL's binary
COPY takes UUID objects and aware datetimes; SQLite gets exactly what SQLAlchemy's `Uuid` and
`UTCDateTime` write there, so imported rows cannot be told from rows created through the API.

On PostgreSQL the two big files (social edges, interactions) also have a fast path,
`BlockEncoder`: numpy checks a whole block of lines at once and turns the lines in the common
spelling (hyphenated UUIDs, plain numbers, UTC ISO-8601 times) straight into binary COPY rows;
any other line goes through `RowParser`, which alone decides what it means. A test checks that
both read every line alike.
"""

import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
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
    blocks: bool = False  # whether the fast path (BlockEncoder) applies


# Binary COPY takes UUID and datetime objects as they are.
POSTGRES = Encoding(uuid=lambda value: value, timestamp=lambda value: value, blocks=True)
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
        self._started = now
        self._ids: dict[str, object] = {}

    def block_encoder(self, spec: "FileSpec") -> "BlockEncoder | None":
        """The fast path for `spec`'s file, if it has one on this backend."""
        if not (self._encoding.blocks and spec.block):
            return None
        return BlockEncoder(spec.block, spec.distinct, self._started)

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


# --- The fast path: whole blocks of lines to PostgreSQL's binary COPY format -------------------
#
# A block is a run of complete lines without quotes. Each column reads its field in every line
# at once (numpy) and says which lines it accepts; a line is encoded only when every column
# accepts it, and each column accepts only spellings that RowParser accepts and reads to the
# same value. Whatever a column is unsure of (other spellings, errors) is left to RowParser.

COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, no header extension
COPY_TRAILER = b"\xff\xff"
_PAD = 64  # zero bytes around a block: fixed-width reads near its ends stay inside the array
_NEWLINE, _COMMA, _DOT, _HYPHEN, _COLON = b"\n,.-:"
_DIGIT_0 = ord("0")
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_PG_EPOCH_DAYS = 10957  # 2000-01-01 in days since 1970-01-01
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_POW10 = 10 ** np.arange(19, dtype=np.int64)
# Hex digit values (either case); 255 for any other byte.
_NIBBLE = np.full(256, 255, dtype=np.uint8)
for _hex in (b"0123456789abcdef", b"0123456789ABCDEF"):
    _NIBBLE[np.frombuffer(_hex, np.uint8)] = np.arange(16)


def _gather(a: np.ndarray, start: np.ndarray, width: int) -> np.ndarray:
    """`width` bytes from each `start` (one row per line)."""
    # Rows of a strided view: ~6x faster than indexing with start[:, None] + arange(width).
    return np.lib.stride_tricks.sliding_window_view(a, width)[start]


def _be(values: np.ndarray, dtype: str) -> np.ndarray:
    """Big-endian bytes of `values` (one row per value), as COPY's binary format wants them."""
    return values.astype(dtype).view(np.uint8).reshape(len(values), np.dtype(dtype).itemsize)


def _same(data: bytes, n: int) -> np.ndarray:
    """`data` in each of `n` rows."""
    return np.broadcast_to(np.frombuffer(data, np.uint8), (n, len(data)))


def _length(size: int, n: int) -> np.ndarray:
    """The length word of a fixed-size field, in each of `n` rows."""
    return _same(size.to_bytes(4, "big"), n)


@dataclass(frozen=True)
class _Encoded:
    """One column of a block: which lines it accepts, and their binary COPY fields."""

    ok: np.ndarray  # bool per line
    parts: list[tuple[np.ndarray, np.ndarray | None]]  # (bytes per line, which bytes are used)
    value: np.ndarray | None = None  # for comparisons between columns


class _Column:
    def encode(self, a: np.ndarray, start: np.ndarray, end: np.ndarray, now: int) -> _Encoded:
        """The field of each line lies in a[start:end]; `now` is the import's time (binary)."""
        raise NotImplementedError


class _Uuid(_Column):
    """8-4-4-4-12 hex digits, as RowParser.uuid takes them (the other spellings go there)."""

    _HYPHENS = np.array([8, 13, 18, 23])
    _DIGITS = np.array([i for i in range(36) if i not in (8, 13, 18, 23)])

    def encode(self, a: np.ndarray, start: np.ndarray, end: np.ndarray, now: int) -> _Encoded:
        text = _gather(a, start, 36)
        nibbles = np.take(_NIBBLE, text)[:, self._DIGITS]  # np.take: faster than _NIBBLE[text]
        ok = (end - start == 36) & (text[:, self._HYPHENS] == _HYPHEN).all(1)
        ok &= (nibbles < 16).all(1)
        value = (nibbles[:, 0::2] << 4) | nibbles[:, 1::2]
        return _Encoded(ok, [(_length(16, len(start)), None), (value, None)], value)


class _Choice(_Column):
    """One of a few words, exactly (as _choice)."""

    def __init__(self, words: frozenset[str]) -> None:
        encoded = sorted(word.encode() for word in words)
        self._width = -(-max(map(len, encoded)) // 8) * 8  # whole 8-byte words
        # Each word, zero-padded, as 8-byte integers: a line's field is compared whole, and
        # its length too (a longer field, or one ending in NUL bytes, shares the padded form).
        padded = b"".join(word.ljust(self._width, b"\0") for word in encoded)
        self._words = np.frombuffer(padded, np.uint64).reshape(len(words), -1)
        self._lengths = [len(word) for word in encoded]

    def encode(self, a: np.ndarray, start: np.ndarray, end: np.ndarray, now: int) -> _Encoded:
        size = end - start
        used = np.arange(self._width) < size[:, None]
        text = np.where(used, _gather(a, start, self._width), 0)
        codes = text.view(np.uint64)
        ok = np.zeros(len(start), bool)
        for word, length in zip(self._words, self._lengths, strict=True):
            same = size == length
            for column in range(len(word)):
                same &= codes[:, column] == word[column]
            ok |= same
        return _Encoded(ok, [(_be(size, ">i4"), None), (text, used)])


class _Int(_Column):
    """Plain decimal digits within bounds (int() reads them alike); `empty` for no digits."""

    def __init__(self, bounds: tuple[int, int], empty: int) -> None:
        self._low, self._high = bounds
        self._empty = empty
        self._width = len(str(self._high))

    def encode(self, a: np.ndarray, start: np.ndarray, end: np.ndarray, now: int) -> _Encoded:
        size = end - start
        ok = (size >= 0) & (size <= self._width)
        value = np.zeros(len(start), np.int64)
        for column in range(min(self._width, int(size.max(initial=0)))):
            inside = column < size
            digit = a[start + column] - np.uint8(_DIGIT_0)  # wraps below "0"
            ok &= ~inside | (digit < 10)
            value = np.where(inside, value * 10 + digit, value)
        empty = size == 0
        ok &= empty | ((self._low <= value) & (value <= self._high))
        value = np.where(empty, self._empty, value)
        return _Encoded(ok, [(_length(4, len(start)), None), (_be(value, ">i4"), None)])


class _Float(_Column):
    """Digits with an optional fraction ("0.5", "1"), at most 15 of them, within bounds.

    Such a number is an integer below 2**53 over an exact power of ten, and IEEE division
    rounds that quotient correctly: the same double float() reads.
    """

    _WIDTH = 16  # 15 digits and the point

    def __init__(self, bounds: tuple[int, int]) -> None:
        self._low, self._high = bounds

    def encode(self, a: np.ndarray, start: np.ndarray, end: np.ndarray, now: int) -> _Encoded:
        size = end - start
        n = len(start)
        ok = (size >= 1) & (size <= self._WIDTH)
        mantissa = np.zeros(n, np.int64)
        digits = np.zeros(n, np.int64)  # those read so far
        point = np.full(n, -1)  # the number of digits before the point, once read
        for column in range(min(self._WIDTH, int(size.max(initial=0)))):
            inside = column < size
            char = a[start + column]
            digit = char - np.uint8(_DIGIT_0)  # wraps below "0"
            is_digit = inside & (digit < 10)
            is_point = inside & (char == _DOT)
            ok &= ~inside | is_digit | (is_point & (point < 0) & (digits > 0))
            point = np.where(is_point, digits, point)
            mantissa = np.where(is_digit, mantissa * 10 + digit, mantissa)
            digits += is_digit
        ok &= (digits <= 15) & ((point < 0) | (point < digits))  # a digit after the point
        scale = np.where(point < 0, 0, digits - point)
        value = mantissa / _POW10[scale].astype(np.float64)
        ok &= (self._low <= value) & (value <= self._high)
        return _Encoded(ok, [(_length(8, n), None), (_be(value, ">f8"), None)])


class _Timestamp(_Column):
    """YYYY-MM-DD, "T" or a space, HH:MM:SS, an optional fraction of 1 to 6 digits, then
    nothing (UTC), "Z" or "+00:00": what the check-in converter and the synthetic worlds write,
    and JavaScript's toISOString. An empty field is `now`, as in RowParser.interaction."""

    _UTC = b"+00:00"

    def encode(self, a: np.ndarray, start: np.ndarray, end: np.ndarray, now: int) -> _Encoded:
        size = end - start
        n = len(start)
        ok = size >= 19

        def char(at: int | np.ndarray) -> np.ndarray:
            return a[start + at]

        def number(at: int, count: int) -> np.ndarray:
            nonlocal ok
            value = np.zeros(n, np.int64)
            for column in range(at, at + count):
                digit = char(column) - np.uint8(_DIGIT_0)  # wraps below "0"
                ok &= digit < 10
                value = value * 10 + digit
            return value

        year, month, day = number(0, 4), number(5, 2), number(8, 2)
        hour, minute, second = number(11, 2), number(14, 2), number(17, 2)
        ok &= (char(4) == _HYPHEN) & (char(7) == _HYPHEN)
        ok &= (char(10) == ord("T")) | (char(10) == ord(" "))
        ok &= (char(13) == _COLON) & (char(16) == _COLON)
        leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
        month_days = _MONTH_DAYS[np.clip(month, 0, 12)] + (leap & (month == 2))
        ok &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
        ok &= (hour <= 23) & (minute <= 59) & (second <= 59)
        # An optional fraction: the digits up to the first non-digit after the point.
        zone = np.full(n, 19)
        micros = np.zeros(n, np.int64)
        fraction = ok & (char(19) == _DOT)
        if fraction.any():
            places = np.zeros(n, np.int64)
            reading = fraction.copy()
            for column in range(20, 27):
                digit = char(column) - np.uint8(_DIGIT_0)
                reading &= digit < 10
                micros = np.where(reading, micros * 10 + digit, micros)
                places += reading
            ok &= ~fraction | ((places >= 1) & (places <= 6))
            micros *= _POW10[np.clip(6 - places, 0, 6)]
            zone = np.where(fraction, 20 + places, zone)
        # Then nothing, "Z" or "+00:00", to the end of the field.
        rest = size - zone
        utc = rest == 6
        for offset, expected in enumerate(self._UTC):
            utc &= char(zone + offset) == expected
        ok &= (rest == 0) | ((rest == 1) & (char(zone) == ord("Z"))) | utc
        days = _days(year, month, day) - _PG_EPOCH_DAYS
        value = (days * 86400 + hour * 3600 + minute * 60 + second) * 1_000_000 + micros
        empty = size == 0
        ok |= empty
        value = np.where(empty, now, value)
        return _Encoded(ok, [(_length(8, n), None), (_be(value, ">i8"), None)])


def _days(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of valid proleptic Gregorian dates (H. Hinnant's days_from_civil)."""
    year = year - (month <= 2)
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


@dataclass(frozen=True)
class EncodedBlock:
    """A block read by BlockEncoder: its lines, and the binary COPY rows of those it took."""

    block: bytes
    ok: np.ndarray  # bool per line
    _bounds: np.ndarray  # (start, end) of each line in `block`, end at its newline
    _record: np.ndarray  # one row per line, bytes of its COPY row (line number left blank)
    _used: np.ndarray  # which bytes of each record row are used

    @property
    def lines(self) -> int:
        return len(self.ok)

    def others(self) -> Iterator[tuple[int, bytes]]:
        """(index, text with its newline) of each line it did not take, in order."""
        for index in np.flatnonzero(~self.ok).tolist():
            start, end = self._bounds[index].tolist()
            yield index, self.block[start : end + 1]

    def rows(self, first_line: int, before: int) -> bytes:
        """The binary COPY rows of the lines it took among the first `before`; the block's
        first line is the file's `first_line`."""
        taken = np.flatnonzero(self.ok[:before])
        record = self._record[taken]
        record[:, 6:14] = _be(first_line + taken, ">i8")
        return record[self._used[taken]].tobytes()


class BlockEncoder:
    """Reads a block of complete lines (no quotes) of one file, columns in the spec's order."""

    def __init__(self, columns: tuple[_Column, ...], distinct: bool, now: datetime) -> None:
        self._columns = columns
        self._distinct = distinct  # the first two columns must differ (an edge's two users)
        self._now = (now - _PG_EPOCH) // timedelta(microseconds=1)  # as psycopg sends it

    def __call__(self, block: bytes) -> EncodedBlock:
        if not block.endswith(b"\n"):  # the file's last line
            block += b"\n"
        a = np.frombuffer(bytes(_PAD) + block + bytes(_PAD), np.uint8)
        ends = np.flatnonzero(a == _NEWLINE)
        starts = np.concatenate(([_PAD], ends[:-1] + 1))
        n = len(ends)
        # The commas of each line: the right number, and where they are.
        separators = len(self._columns) - 1
        # (After them, one more past the block, so that a line short of commas borrows that.)
        commas = np.concatenate((np.flatnonzero(a == _COMMA), [len(a) - _PAD]))
        before_end = np.searchsorted(commas, ends)
        ok = np.diff(before_end, prepend=0) == separators
        at = commas[np.clip(before_end[:, None] - separators + np.arange(separators), 0, None)]
        field_starts = [starts, *(at.T + 1)]
        field_ends = [*at.T, ends]
        parts: list[tuple[np.ndarray, np.ndarray | None]] = [
            (_same((1 + len(self._columns)).to_bytes(2, "big"), n), None),  # number of fields
            (_length(8, n), None),
            (np.zeros((n, 8), np.uint8), None),  # the line number, filled in by EncodedBlock.rows
        ]
        values = []
        for column, start, end in zip(self._columns, field_starts, field_ends, strict=True):
            encoded = column.encode(a, start, end, self._now)
            ok &= encoded.ok
            parts.extend(encoded.parts)
            values.append(encoded.value)
        if self._distinct:
            ok &= (values[0] != values[1]).any(1)
        # The fields side by side, one row per line; only some bytes of a text are used.
        record = np.empty((n, sum(part.shape[1] for part, _ in parts)), np.uint8)
        used = np.ones(record.shape, bool)
        offset = 0
        for part, mask in parts:
            width = part.shape[1]
            record[:, offset : offset + width] = part
            if mask is not None:
                used[:, offset : offset + width] = mask
            offset += width
        bounds = np.stack((starts, ends), axis=1) - _PAD
        return EncodedBlock(block, ok, bounds, record, used)


@dataclass(frozen=True)
class FileSpec:
    """One bulk file: its name without extension, its columns and its row parser.

    `block`: how BlockEncoder reads its columns, for the big files; `distinct`: the first two
    columns must differ.
    """

    stem: str
    columns: tuple[str, ...]
    parse: Callable[[RowParser, Sequence[str]], Row]
    block: tuple[_Column, ...] | None = None
    distinct: bool = False


USERS = FileSpec("users", ("id", "handle", "name", "age", "home_lat", "home_lng"), RowParser.user)
VENUES = FileSpec(
    "venues",
    ("id", "name", "description", "category", "lat", "lng", "price_level", "rating"),
    RowParser.venue,
)
SOCIAL_EDGES = FileSpec(
    "social_edges",
    ("user_id", "other_user_id", "relationship_type", "strength"),
    RowParser.edge,
    block=(_Uuid(), _Uuid(), _Choice(RELATIONSHIP_TYPES), _Float(STRENGTH_RANGE)),
    distinct=True,
)
INTERACTIONS = FileSpec(
    "interactions",
    ("user_id", "venue_id", "interaction_type", "dwell_time_seconds", "occurred_at"),
    RowParser.interaction,
    block=(_Uuid(), _Uuid(), _Choice(INTERACTION_TYPES), _Int(DWELL_RANGE, 0), _Timestamp()),
)
# Load order: what a file refers to is loaded before it.
FILES = (USERS, VENUES, SOCIAL_EDGES, INTERACTIONS)
