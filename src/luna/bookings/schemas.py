import uuid

from luna.models import BookingStatus
from luna.schemas import LunaModel, UtcDatetime


class BookingRead(LunaModel):
    id: uuid.UUID
    plan_id: uuid.UUID
    provider: str
    external_ref: str | None
    status: BookingStatus
    party_size: int
    created_at: UtcDatetime
