import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from luna.auth.dependencies import PathUserCaller
from luna.db import SessionDep
from luna.dependencies import SettingsDep
from luna.reco import service
from luna.reco.schemas import PersonRecommendation, VenueRecommendation
from luna.schemas import COMMON_ERRORS, error_responses

router = APIRouter(prefix="/reco", tags=["recommendations"], responses=COMMON_ERRORS)

RecoLimit = Annotated[int, Query(ge=1, le=100, description="How many results (max 100)")]


@router.get(
    "/venues/{user_id}",
    response_model=list[VenueRecommendation],
    responses=error_responses({404: "User not found"}),
)
def recommend_venues(
    user_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    caller: PathUserCaller,
    limit: RecoLimit = 10,
) -> object:
    """Where to go: every venue scored by distance from home, the user's own engagement and
    global popularity (SPEC §3), best first."""
    return service.recommend_venues(session, user_id, limit, settings.reco)


@router.get(
    "/people/{user_id}",
    response_model=list[PersonRecommendation],
    responses=error_responses({404: "User not found / Venue not found"}),
)
def recommend_people(
    user_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    caller: PathUserCaller,
    venue_id: Annotated[uuid.UUID | None, Query(description="Rank for this venue")] = None,
    limit: RecoLimit = 10,
) -> object:
    """Who to go with: the user's companions (outgoing edges) scored by edge strength and their
    engagement with the venue and its category (SPEC §3), best first."""
    return service.recommend_people(session, user_id, venue_id, limit, settings.reco)
