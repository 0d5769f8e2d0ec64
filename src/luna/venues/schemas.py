import re
import uuid
from dataclasses import dataclass
from typing import Annotated, Self

from pydantic import BeforeValidator, Field, model_validator

from luna.schemas import Description, Latitude, Longitude, LunaModel, Name, UtcDatetime

CATEGORY_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
CATEGORY_REGEX = re.compile(CATEGORY_PATTERN)


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


# Input is lower-cased first, then must be a word of letters, digits and hyphens.
Category = Annotated[
    str,
    BeforeValidator(_lower),
    Field(min_length=1, max_length=64, pattern=CATEGORY_PATTERN),
]
PriceLevel = Annotated[int, Field(ge=1, le=4)]
Rating = Annotated[float, Field(ge=0, le=5)]


class VenueCreate(LunaModel):
    id: uuid.UUID | None = Field(
        None, description="Optional client-chosen id; the service generates a v4 UUID otherwise."
    )
    name: Name
    description: Description | None = None
    category: Category | None = None
    lat: Latitude
    lng: Longitude
    price_level: PriceLevel | None = None
    rating: Rating | None = None


class VenueUpdate(LunaModel):
    name: Name | None = None
    description: Description | None = None
    category: Category | None = None
    lat: Latitude | None = None
    lng: Longitude | None = None
    price_level: PriceLevel | None = None
    rating: Rating | None = None

    @model_validator(mode="after")
    def _required_not_null(self) -> Self:
        for required in ("name", "lat", "lng"):
            if required in self.model_fields_set and getattr(self, required) is None:
                raise ValueError(f"{required} cannot be null")
        return self


class VenueRead(LunaModel):
    id: uuid.UUID
    name: str
    description: str | None
    category: str | None
    lat: float
    lng: float
    price_level: int | None
    rating: float | None
    created_at: UtcDatetime


class VenueDetail(VenueRead):
    vibes: dict[str, float] | None = Field(
        None,
        description="The venue's vibe profile (GET /vibes), each in [0, 1], learned from "
        "behaviour by `luna vibes refresh`; null until a refresh has seen the venue",
    )


@dataclass(frozen=True)
class NearPoint:
    lat: float
    lng: float
    radius_km: float


@dataclass(frozen=True)
class VenueQuery:
    """Filters of GET /venues/: a category, and optionally a circle to search in."""

    category: str | None
    near: NearPoint | None
