import uuid

from fastapi import Request

from luna.auth.dependencies import CurrentCaller, PathUserCaller
from luna.db import SessionDep, run_in_transaction
from luna.interactions import service
from luna.interactions.schemas import (
    BatchResult,
    InteractionBatch,
    InteractionCreate,
    InteractionRead,
)
from luna.routing import LunaRouter
from luna.schemas import COMMON_ERRORS, PageDep, error_responses

router = LunaRouter(tags=["interactions"], responses=COMMON_ERRORS)

LOG_ERRORS = error_responses({404: "User not found / Venue not found"})


@router.post(
    "/venues/{venue_id}/interactions",
    response_model=InteractionRead,
    status_code=201,
    responses=LOG_ERRORS,
)
async def log_interaction(
    venue_id: uuid.UUID, body: InteractionCreate, request: Request, caller: CurrentCaller
) -> object:
    """Record that you viewed, showed interest in or liked a venue."""
    caller.ensure_self(body.user_id)
    return await _log_one(request, venue_id, body)


@router.post(
    "/venues/{venue_id}/interact",
    response_model=InteractionRead,
    status_code=201,
    responses=LOG_ERRORS,
    deprecated=True,
)
async def log_interaction_old_name(
    venue_id: uuid.UUID, body: InteractionCreate, request: Request, caller: CurrentCaller
) -> object:
    """The prototype's name for `POST /venues/{venue_id}/interactions`; same behaviour."""
    caller.ensure_self(body.user_id)
    return await _log_one(request, venue_id, body)


async def _log_one(request: Request, venue_id: uuid.UUID, body: InteractionCreate) -> object:
    return await run_in_transaction(
        request, lambda session: service.log_interaction(session, venue_id, body)
    )


@router.post(
    "/interactions/batch",
    response_model=BatchResult,
    status_code=201,
    responses=error_responses({404: "interactions[i]: User not found / Venue not found"}),
)
async def log_batch(body: InteractionBatch, request: Request, caller: CurrentCaller) -> object:
    """Log 1 to 5000 interactions at once; one bad item rejects the whole batch (its index is
    in the error). Every item must be your own."""
    for item in body.interactions:
        caller.ensure_self(item.user_id)
    inserted = await run_in_transaction(
        request, lambda session: service.log_batch(session, body.interactions)
    )
    return BatchResult(inserted=inserted)


@router.get(
    "/users/{user_id}/interactions",
    response_model=list[InteractionRead],
    responses=error_responses({404: "User not found"}),
)
def list_user_interactions(
    user_id: uuid.UUID, session: SessionDep, page: PageDep, caller: PathUserCaller
) -> object:
    """Your interactions, newest `occurred_at` first."""
    return service.list_user_interactions(session, user_id, page)
