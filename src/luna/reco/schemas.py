import uuid

from pydantic import Field

from luna.schemas import LunaModel


class VenueFeatures(LunaModel):
    spatial: float = Field(description="exp(-0.3 · km from home); 0 without a home")
    preference: float = Field(description="The user's own engagement with the venue (0..1)")
    popularity: float = Field(
        description="Positive interactions relative to the most popular venue"
    )


class VenueRecommendation(LunaModel):
    venue_id: uuid.UUID
    venue_name: str
    category: str | None
    score: float
    distance_km: float | None = Field(description="Null when the user has no home")
    features: VenueFeatures


class PeopleFeatures(LunaModel):
    social: float = Field(description="Strength of the user's edge to this person")
    direct: float = Field(description="This person's engagement with the venue (0 without venue)")
    category: float = Field(description="This person's engagement with the venue's category")


class PersonRecommendation(LunaModel):
    user_id: uuid.UUID
    handle: str
    name: str
    score: float
    relationship_type: str
    features: PeopleFeatures
