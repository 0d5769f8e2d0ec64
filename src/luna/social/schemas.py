import uuid

from pydantic import Field

from luna.models import RelationshipType
from luna.schemas import LunaModel, UtcDatetime


class EdgeUpsert(LunaModel):
    relationship_type: RelationshipType
    strength: float = Field(
        ge=0, le=1, description="How much the user likes going out with them (0..1)"
    )


class EdgeRead(LunaModel):
    user_id: uuid.UUID
    other_user_id: uuid.UUID
    relationship_type: RelationshipType
    strength: float
    created_at: UtcDatetime
