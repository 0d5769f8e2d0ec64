import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AliasPath, Field

from luna.bookings.schemas import BookingRead
from luna.models import ParticipantStatus, PlanEventKind, PlanStatus
from luna.schemas import LunaModel, Name, UtcDatetime

MAX_INVITES = 100


def _in_future(value: datetime) -> datetime:
    if value <= datetime.now(UTC):
        raise ValueError("start_time must be in the future")
    return value


class PlanCreate(LunaModel):
    organizer_id: uuid.UUID
    venue_id: uuid.UUID
    start_time: Annotated[UtcDatetime, AfterValidator(_in_future)]
    title: Name | None = None
    participant_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=MAX_INVITES,
        description="People to invite; duplicates and the organizer are ignored",
    )


class ParticipantAdd(LunaModel):
    user_id: uuid.UUID


class ParticipantAnswer(LunaModel):
    status: Literal["accepted", "declined"]


class ParticipantRead(LunaModel):
    user_id: uuid.UUID
    status: ParticipantStatus


class ParticipantSummary(ParticipantRead):
    handle: str = Field(validation_alias=AliasPath("user", "handle"))


class ParticipantDetail(ParticipantRead):
    plan_id: uuid.UUID
    created_at: UtcDatetime


class PlanRead(LunaModel):
    id: uuid.UUID
    title: str | None
    organizer_id: uuid.UUID | None = Field(
        description="Null if the organizer deleted their account"
    )
    venue_id: uuid.UUID
    start_time: UtcDatetime
    status: PlanStatus
    participants: list[ParticipantRead]
    created_at: UtcDatetime


class PlanSummary(PlanRead):
    """A plan in a list: what a client shows without a call per plan."""

    venue_name: str = Field(validation_alias=AliasPath("venue", "name"))
    participants: list[ParticipantSummary]


class ConfirmResult(LunaModel):
    plan_id: uuid.UUID
    booking_id: uuid.UUID
    status: PlanStatus
    booking: BookingRead


class PlanEventRead(LunaModel):
    id: int = Field(description="Increases with every event: the timeline's order")
    kind: PlanEventKind
    from_status: PlanStatus | None
    to_status: PlanStatus | None
    outcome: str
    detail: str | None
    created_at: UtcDatetime
