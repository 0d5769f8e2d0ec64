import uuid

from pydantic import AwareDatetime, ConfigDict, Field

from luna.reco.group import GroupStrategy
from luna.schemas import LunaModel


class VenueFeatures(LunaModel):
    """The SPEC §3 terms. With the learned ranker (LUNA_VENUE_MODEL=learned) they are the
    terms the model saw, and every model input follows by name (luna.learning.features
    .FEATURE_NAMES; null where undefined, e.g. distances without a home)."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, float | None] = Field(init=False)

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
    reasons: list[str] = Field(default_factory=list, description="Why, in a few words")


class PeopleFeatures(LunaModel):
    social: float = Field(description="Strength of the user's edge to this person")
    direct: float = Field(description="This person's engagement with the venue (0 without venue)")
    category: float = Field(description="This person's engagement with the venue's category")


class PersonRecommendation(LunaModel):
    user_id: uuid.UUID
    handle: str
    name: str
    score: float
    relationship_type: str = Field(
        description='The edge\'s type; "suggested" for people found beyond direct edges'
    )
    features: PeopleFeatures
    reasons: list[str] = Field(default_factory=list, description="Why, in a few words")


class GroupVenueRequest(LunaModel):
    user_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=20, description="The group (1-20 users; repeats are ignored)"
    )
    limit: int = Field(10, ge=1, le=100)
    strategy: GroupStrategy = Field(
        GroupStrategy.average,
        description="average (mean score), least_misery (lowest member score) or fair "
        "(GFAR-style greedy balancing of members' top picks); see the README",
    )
    at: AwareDatetime | None = Field(
        None,
        description="The moment to rank for: an ISO-8601 time WITH an offset (without one: "
        "422), past or future. Accepted and validated; the group ranking is the SPEC §3 "
        "heuristic's, which ignores it.",
    )


class MemberScore(LunaModel):
    user_id: uuid.UUID
    score: float = Field(description="This member's own SPEC §3 venue score")
    distance_km: float | None = Field(description="From this member's home; null without one")


class GroupVenueRecommendation(LunaModel):
    venue_id: uuid.UUID
    venue_name: str
    category: str | None
    group_score: float
    longest_trip_km: float | None = Field(description="The farthest member's distance")
    members: list[MemberScore]
    reasons: list[str]
