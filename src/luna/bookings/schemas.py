import uuid

from pydantic import Field

from luna.models import BookingStatus
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
