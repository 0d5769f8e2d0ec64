import uuid

from pydantic import AliasPath, Field

from luna.models import BookingStatus, ParticipantStatus
from luna.schemas import LunaModel, UtcDatetime


class BookingRead(LunaModel):
    id: uuid.UUID
    plan_id: uuid.UUID
    provider: str
    external_ref: str | None
    status: BookingStatus
    party_size: int
    failure_reason: str | None = Field(
        None, description="Why the provider did not book, for the client to show"
    )
    created_at: UtcDatetime


class BookingParticipant(LunaModel):
    user_id: uuid.UUID
    handle: str = Field(validation_alias=AliasPath("user", "handle"))
    status: ParticipantStatus


class BookingSummary(BookingRead):
    """A booking in a list, with its plan's venue and people: no call per booking."""

    venue_id: uuid.UUID = Field(validation_alias=AliasPath("plan", "venue_id"))
    venue_name: str = Field(validation_alias=AliasPath("plan", "venue", "name"))
    participants: list[BookingParticipant] = Field(
        validation_alias=AliasPath("plan", "participants"),
        description="The plan's participants (the organizer among them)",
    )
