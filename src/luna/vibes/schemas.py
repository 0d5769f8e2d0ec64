import uuid

from pydantic import Field

from luna.schemas import LunaModel


class VibeRead(LunaModel):
    name: str = Field(description="What to pass as vibe= (GET /reco/venues/{user_id})")
    description: str


class UserVibes(LunaModel):
    user_id: uuid.UUID
    vibes: dict[str, float] = Field(
        description="Per vibe, in [0, 1]: the mean profile of the venues the person liked or "
        "showed interest in, recency-weighted (empty without any)"
    )
    top: list[str] = Field(description="The person's three strongest vibes, strongest first")
    visits: int = Field(description="How many positive interactions it was learned from")
    half_life_days: float = Field(description="A visit this old weighs half as much")
    version: int | None = Field(
        description="The venue profiles' stored version (`luna vibes refresh`); null: "
        "category priors only"
    )
