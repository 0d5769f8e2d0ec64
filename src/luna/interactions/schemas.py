import uuid
from typing import Annotated

from pydantic import Field

from luna.models import InteractionType
from luna.schemas import LunaModel, UtcDatetime

DwellSeconds = Annotated[int, Field(ge=0, le=86400, description="Seconds spent (0..86400)")]
MAX_BATCH = 5000


class InteractionCreate(LunaModel):
    user_id: uuid.UUID
    interaction_type: InteractionType
    dwell_time_seconds: DwellSeconds = 0
    occurred_at: UtcDatetime | None = Field(None, description="When it happened; default now")


class BatchItem(InteractionCreate):
    venue_id: uuid.UUID


class InteractionBatch(LunaModel):
    interactions: list[BatchItem] = Field(min_length=1, max_length=MAX_BATCH)


class BatchResult(LunaModel):
    inserted: int


class InteractionRead(LunaModel):
    id: uuid.UUID
    user_id: uuid.UUID
    venue_id: uuid.UUID
    interaction_type: InteractionType
    dwell_time_seconds: int
    occurred_at: UtcDatetime
    created_at: UtcDatetime
