"""The four bulk files (SPEC §5) and the rules every row must pass: the API's own (SPEC §2).

Each column is validated with the type of the API field it fills (`luna.*.schemas`, read off
the request models), so the import accepts exactly what the API accepts and reads it alike;
only the messages are the import's. A column of a batch is checked at once: pyarrow's
dictionary encoding gives its distinct values, pydantic validates those in one call, and the
results are spread back over the rows (ids, types and numbers repeat a lot).

Values come out as Arrow arrays for the staging table (`luna.bulk.store`): UUIDs as their 16
bytes, timestamps as naive UTC.
"""

import enum
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from luna.interactions.schemas import BatchItem
from luna.schemas import LunaModel
from luna.social.schemas import EdgeUpsert
from luna.users.schemas import UserCreate
from luna.venues.schemas import VenueCreate


class Required:
    """An empty field is an error."""


class Now:
    """An empty field is the import's time."""


def api_type(model: type[BaseModel], name: str) -> Any:
    """The type (with its constraints and validators) of a field of an API request model."""
    info = model.model_fields[name]
    return Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation


def _show(raw: str) -> str:
    return repr(raw if len(raw) <= 40 else raw[:40] + "...")


def _between(limits: dict[str, Any]) -> str:
    return f"between {limits['minimum']:g} and {limits['maximum']:g}"


# What a pydantic error on a column means, by kind of column: (name, raw, error type, limits).
_Message = Callable[[str, str, str, dict[str, Any]], str]
_BOUNDS = frozenset({"greater_than_equal", "less_than_equal", "greater_than", "less_than"})


def _uuid_message(name: str, raw: str, error: str, limits: dict[str, Any]) -> str:
    return f"{name} must be a UUID, not {_show(raw)}"


def _text_message(name: str, raw: str, error: str, limits: dict[str, Any]) -> str:
    if error in ("string_too_short", "string_too_long"):
        low, high = limits.get("minLength", 0), limits["maxLength"]
        if low == 0:
            return f"{name} must be at most {high} characters long"
        return f"{name} must be {low} to {high} characters long"
    return f"{name} must not contain control characters"


def _int_message(name: str, raw: str, error: str, limits: dict[str, Any]) -> str:
    if error in _BOUNDS:
        return f"{name} must be {_between(limits)}"
    return f"{name} must be a whole number, not {_show(raw)}"


def _float_message(name: str, raw: str, error: str, limits: dict[str, Any]) -> str:
    if error in ("float_parsing", "float_type"):
        return f"{name} must be a number, not {_show(raw)}"
    return f"{name} must be {_between(limits)}"  # NaN and infinities too


def _choice_message(name: str, raw: str, error: str, limits: dict[str, Any]) -> str:
    return f"{name} must be one of {', '.join(sorted(limits['enum']))}, not {_show(raw)}"


def _category_message(name: str, raw: str, error: str, limits: dict[str, Any]) -> str:
    return (
        f"{name} must be a lower-case word of letters, digits and hyphens "
        f"(at most {limits['maxLength']} characters), not {_show(raw)}"
    )


def _timestamp_message(name: str, raw: str, error: str, limits: dict[str, Any]) -> str:
    return f"{name} must be an ISO-8601 date and time, not {_show(raw)}"


def staged_value(value: Any) -> Any:
    """A validated value as the staging table takes it."""
    if isinstance(value, uuid.UUID):
        return value.bytes
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):  # UTC already (luna.schemas.UtcDatetime)
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return value


# Arrow's ISO-8601 parser reads these spellings as pydantic does (tests/bulk/test_reading.py
# checks it), and refuses the impossible dates and times among them (Feb 30, 24:00); year 0,
# which Arrow takes, is left out.
_UTC_ISO_8601 = (
    r"^(?:000[1-9]|00[1-9]\d|0[1-9]\d\d|[1-9]\d\d\d)-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d{1,6})?"
    r"(?:Z|\+00:00)?$"
)


def arrow_timestamps(values: pa.Array, now: datetime) -> pa.Array | None:
    """`values` parsed by Arrow when each is empty (`now`) or in the usual UTC spelling, else
    None: pydantic reads the column then."""
    # Saves 21 s of reading S3's 4 million timestamps with pydantic: import 124 -> 96 s.
    if len(values) == 0:
        return None
    filled = pc.if_else(pc.equal(values, ""), now.isoformat(" "), values)
    if not pc.all(pc.match_substring_regex(filled, _UTC_ISO_8601)).as_py():
        return None
    try:
        naive = pc.utf8_rtrim(pc.replace_substring(filled, "+00:00", ""), "Z")  # at the end
        return pc.cast(naive, pa.timestamp("us"))
    except pa.ArrowInvalid:
        return None


_UUID = pa.binary(16)


@dataclass(frozen=True)
class Column:
    """One column of a bulk file: the API type its values must have, and what an empty field
    is (`Required`, `None` for NULL, `Now`, or a default value)."""

    name: str
    type: Any
    arrow: pa.DataType
    message: _Message
    empty: Any = None
    fast: Callable[[pa.Array, datetime], pa.Array | None] | None = None
    adapter: TypeAdapter[Any] = field(init=False, repr=False, compare=False)
    limits: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # As a field of LunaModel (the request models' base): surrounding whitespace dropped.
        config = ConfigDict(str_strip_whitespace=LunaModel.model_config["str_strip_whitespace"])
        object.__setattr__(self, "adapter", TypeAdapter(list[self.type | None], config=config))
        schema = TypeAdapter(self.type).json_schema()
        limits = next((s for s in schema.get("anyOf", ()) if s.get("type") != "null"), schema)
        object.__setattr__(self, "limits", limits)

    def validate(self, values: pa.Array, now: datetime) -> tuple[pa.Array | None, "Problem | None"]:
        """The column's staged values, or the first (by row) that breaks a rule."""
        if self.fast is not None and (parsed := self.fast(values, now)) is not None:
            return parsed, None
        # In order of first appearance: the first bad distinct text is on the first bad row.
        encoded = values.dictionary_encode()
        staged, problem = self._validate_distinct(encoded.dictionary.to_pylist(), now)
        if problem is not None:
            bad, message = problem
            return None, Problem(pc.index(values, bad).as_py(), message)
        return staged.take(encoded.indices), None

    def _validate_distinct(
        self, texts: list[str], now: datetime
    ) -> tuple[pa.Array, tuple[str, str] | None]:
        """The staged values of distinct texts, or the first bad text and its message."""
        errors: dict[int, str] = {}
        try:
            valid = self.adapter.validate_python([text or None for text in texts])
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                errors.setdefault(error["loc"][0], error["type"])  # type: ignore[arg-type]
        if self.empty is Required and "" in texts:
            errors.setdefault(texts.index(""), "missing")
        if errors:
            bad = texts[min(errors)]
            if bad == "":
                return pa.array([], self.arrow), (bad, f"{self.name} is required")
            message = self.message(self.name, bad, errors[min(errors)], self.limits)
            return pa.array([], self.arrow), (bad, message)
        default = now.replace(tzinfo=None) if self.empty is Now else self.empty
        staged = [default if value is None else staged_value(value) for value in valid]
        return pa.array(staged, self.arrow), None


@dataclass(frozen=True, order=True)
class Problem:
    """A row that breaks a rule: its index in the batch, and the message."""

    row: int
    message: str


@dataclass(frozen=True)
class RowRule:
    """A rule between the validated columns of a row: `broken` marks the rows that break it."""

    broken: Callable[[dict[str, pa.Array]], pa.Array]
    message: str


@dataclass(frozen=True)
class FileSpec:
    """One bulk file: its name without extension, its columns and the rules between them."""

    stem: str
    fields: tuple[Column, ...]
    rules: tuple[RowRule, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """The column names, in staging order."""
        return tuple(column.name for column in self.fields)

    def validate(
        self, values: Sequence[pa.Array], now: datetime
    ) -> tuple[pa.Table, Problem | None]:
        """The staged columns of the rows before the first bad one, and that row's problem
        (None when every row passes). `values`: the text of each column, in `columns` order."""
        first: Problem | None = None
        while True:
            checked, problem = self._checked(values, now)
            if problem is None:
                return checked, first
            first = problem
            values = [column.slice(0, problem.row) for column in values]

    def _checked(
        self, values: Sequence[pa.Array], now: datetime
    ) -> tuple[pa.Table, Problem | None]:
        """Every column; then, if they all pass, the row rules. The first problem by row (by
        column order in a row), else the staged columns."""
        staged: dict[str, pa.Array] = {}
        problems: list[Problem] = []
        for column, text in zip(self.fields, values, strict=True):
            array, problem = column.validate(text, now)
            if problem is not None:
                problems.append(problem)
            elif array is not None:
                staged[column.name] = array
        if problems:
            return pa.table({}), min(problems, key=lambda problem: problem.row)
        for rule in self.rules:
            broken = rule.broken(staged)
            if pc.any(broken).as_py():
                problems.append(Problem(pc.index(broken, True).as_py(), rule.message))
        if problems:
            return pa.table({}), min(problems, key=lambda problem: problem.row)
        return pa.table(staged), None


def _home_half_given(columns: dict[str, pa.Array]) -> pa.Array:
    return pc.not_equal(pc.is_null(columns["home_lat"]), pc.is_null(columns["home_lng"]))


def _self_edge(columns: dict[str, pa.Array]) -> pa.Array:
    return pc.equal(columns["user_id"], columns["other_user_id"])


USERS = FileSpec(
    "users",
    (
        Column("id", api_type(UserCreate, "id"), _UUID, _uuid_message, Required),
        Column("handle", api_type(UserCreate, "handle"), pa.string(), _text_message, Required),
        Column("name", api_type(UserCreate, "name"), pa.string(), _text_message, Required),
        Column("age", api_type(UserCreate, "age"), pa.int32(), _int_message),
        Column("home_lat", api_type(UserCreate, "home_lat"), pa.float64(), _float_message),
        Column("home_lng", api_type(UserCreate, "home_lng"), pa.float64(), _float_message),
    ),
    rules=(
        RowRule(_home_half_given, "home_lat and home_lng must be given together (both or neither)"),
    ),
)
VENUES = FileSpec(
    "venues",
    (
        Column("id", api_type(VenueCreate, "id"), _UUID, _uuid_message, Required),
        Column("name", api_type(VenueCreate, "name"), pa.string(), _text_message, Required),
        Column("description", api_type(VenueCreate, "description"), pa.string(), _text_message),
        Column("category", api_type(VenueCreate, "category"), pa.string(), _category_message),
        Column("lat", api_type(VenueCreate, "lat"), pa.float64(), _float_message, Required),
        Column("lng", api_type(VenueCreate, "lng"), pa.float64(), _float_message, Required),
        Column("price_level", api_type(VenueCreate, "price_level"), pa.int32(), _int_message),
        Column("rating", api_type(VenueCreate, "rating"), pa.float64(), _float_message),
    ),
)
SOCIAL_EDGES = FileSpec(
    "social_edges",
    (
        Column("user_id", uuid.UUID, _UUID, _uuid_message, Required),
        Column("other_user_id", uuid.UUID, _UUID, _uuid_message, Required),
        Column(
            "relationship_type",
            api_type(EdgeUpsert, "relationship_type"),
            pa.string(),
            _choice_message,
            Required,
        ),
        Column(
            "strength", api_type(EdgeUpsert, "strength"), pa.float64(), _float_message, Required
        ),
    ),
    rules=(RowRule(_self_edge, "a user cannot have an edge to themselves"),),
)
INTERACTIONS = FileSpec(
    "interactions",
    (
        Column("user_id", api_type(BatchItem, "user_id"), _UUID, _uuid_message, Required),
        Column("venue_id", api_type(BatchItem, "venue_id"), _UUID, _uuid_message, Required),
        Column(
            "interaction_type",
            api_type(BatchItem, "interaction_type"),
            pa.string(),
            _choice_message,
            Required,
        ),
        Column(
            "dwell_time_seconds",
            api_type(BatchItem, "dwell_time_seconds"),
            pa.int32(),
            _int_message,
            0,
        ),
        Column(
            "occurred_at",
            api_type(BatchItem, "occurred_at"),
            pa.timestamp("us"),
            _timestamp_message,
            Now,
            fast=arrow_timestamps,
        ),
    ),
)
# Load order: what a file refers to is loaded before it.
FILES = (USERS, VENUES, SOCIAL_EDGES, INTERACTIONS)
