import uuid
from typing import Annotated, Self

from pydantic import Field, model_validator

from luna.schemas import Handle, Latitude, Longitude, LunaModel, Name, UtcDatetime

Age = Annotated[int, Field(ge=13, le=120)]


def _check_home_pair(lat: float | None, lng: float | None) -> None:
    if (lat is None) != (lng is None):
        raise ValueError("home_lat and home_lng must be given together (both or neither)")


class UserCreate(LunaModel):
    id: uuid.UUID | None = Field(
        None, description="Optional client-chosen id; the service generates a v4 UUID otherwise."
    )
    handle: Handle
    name: Name
    age: Age | None = None
    home_lat: Latitude | None = None
    home_lng: Longitude | None = None

    @model_validator(mode="after")
    def _home_both_or_neither(self) -> Self:
        _check_home_pair(self.home_lat, self.home_lng)
        return self


class UserUpdate(LunaModel):
    """Partial update: only the fields sent change. `home_lat`/`home_lng` change together."""

    handle: Handle | None = None
    name: Name | None = None
    age: Age | None = None
    home_lat: Latitude | None = None
    home_lng: Longitude | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        for required in ("handle", "name"):
            if required in self.model_fields_set and getattr(self, required) is None:
                raise ValueError(f"{required} cannot be null")
        sent_home = {"home_lat", "home_lng"} & self.model_fields_set
        if sent_home and len(sent_home) != 2:
            raise ValueError("home_lat and home_lng must be updated together")
        _check_home_pair(self.home_lat, self.home_lng)
        return self


class UserRead(LunaModel):
    id: uuid.UUID
    handle: str
    name: str
    age: int | None
    home_lat: float | None
    home_lng: float | None
    created_at: UtcDatetime


def present_user(user: object, *, show_home: bool) -> UserRead:
    """A profile as a given viewer may see it: home coordinates only for the person
    themselves (and admins); others get nulls."""
    read = UserRead.model_validate(user)
    if show_home:
        return read
    return read.model_copy(update={"home_lat": None, "home_lng": None})
