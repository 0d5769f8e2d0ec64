"""Field types and query parameters shared by every domain's schemas."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

MAX_OFFSET = 2**63 - 1  # what a BIGINT OFFSET can take; larger is a 422, not a 500


def _to_utc(value: datetime) -> datetime:
    """Naive input is UTC (SPEC §1); everything is normalised to UTC on the way in."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # e.g. 0001-01-01T00:00-05:00
        raise ValueError("datetime out of range") from exc


def _no_control_chars(value: str) -> str:
    # PostgreSQL rejects NUL in text; other control characters are never meant in names.
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        raise ValueError("control characters are not allowed")
    # A lone surrogate (JSON "\ud800") cannot be encoded as UTF-8 by either database.
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise ValueError("invalid unicode (lone surrogate)")
    return value


UtcDatetime = Annotated[
    datetime,
    AfterValidator(_to_utc),
    # Responses always carry an offset, whatever the database handed back.
    PlainSerializer(lambda v: _to_utc(v).isoformat(), return_type=str, when_used="json"),
]


def _text(min_length: int, max_length: int) -> Any:
    return Annotated[
        str,
        Field(min_length=min_length, max_length=max_length),
        AfterValidator(_no_control_chars),
    ]


Handle = _text(1, 64)
Name = _text(1, 200)
Description = _text(0, 2000)


Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


class LunaModel(BaseModel):
    """Base for request and response bodies. Unknown input fields are ignored, as the
    prototype's clients expect; surrounding whitespace in strings is dropped."""

    model_config = ConfigDict(from_attributes=True, str_strip_whitespace=True)


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


async def page_params(
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size (max 1000)")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip")] = 0,
) -> Page:
    return Page(limit=limit, offset=offset)


PageDep = Annotated[Page, Depends(page_params)]


class ErrorBody(BaseModel):
    detail: str = Field(description="What went wrong, for a person to read")


def error_responses(described: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for a route's `{"detail": ...}` errors."""
    return {code: {"model": ErrorBody, "description": text} for code, text in described.items()}


# Errors any authenticated API route can answer (declared once per router).
COMMON_ERRORS = error_responses(
    {
        401: "Not authenticated, or the token is invalid or expired",
        403: "Authenticated but not allowed to do this",
        413: "Request body too large",
        429: "Too many writes: retry after the Retry-After header's seconds",
    }
)
