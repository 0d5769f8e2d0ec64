import uuid

from fastapi import Request

from luna.auth.dependencies import PathUserCaller
from luna.clock import now_seconds
from luna.config import Settings
from luna.db import SessionDep
from luna.reco.index import VenueIndex
from luna.routing import LunaRouter
from luna.schemas import COMMON_ERRORS, error_responses
from luna.vibes import service
from luna.vibes.schemas import UserVibes, VibeRead

router = LunaRouter(tags=["vibes"], responses=COMMON_ERRORS)


@router.get("/vibes", response_model=list[VibeRead])
def list_vibes() -> object:
    """The vibes Luna knows, each with a one-line description: what `vibe=` on
    `GET /reco/venues/{user_id}` accepts (and `auto`)."""
    return service.vocabulary()


@router.get(
    "/users/{user_id}/vibes",
    response_model=UserVibes,
    responses=error_responses({404: "User not found"}),
)
def user_vibes(
    user_id: uuid.UUID, request: Request, session: SessionDep, caller: PathUserCaller
) -> object:
    """A person's vibes (the person or an admin): learned from their history, each venue
    they liked or showed interest in contributing its vibe profile, recent ones more."""
    settings: Settings = request.app.state.settings
    index: VenueIndex = request.app.state.venue_index
    return service.user_vibes(
        session, index.snapshot(session), user_id, now_seconds(settings.luna_clock)
    )
