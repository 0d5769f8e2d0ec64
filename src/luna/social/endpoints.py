import uuid

from fastapi import Response

from luna.auth.dependencies import PathUserCaller
from luna.db import SessionDep
from luna.routing import LunaRouter
from luna.schemas import COMMON_ERRORS, PageDep, error_responses
from luna.social import service
from luna.social.schemas import EdgeRead, EdgeUpsert

router = LunaRouter(prefix="/users/{user_id}/edges", tags=["social graph"], responses=COMMON_ERRORS)


@router.put(
    "/{other_user_id}",
    response_model=EdgeRead,
    responses={
        201: {"model": EdgeRead, "description": "Edge created"},
        **error_responses({404: "User not found"}),
    },
)
def upsert_edge(
    user_id: uuid.UUID,
    other_user_id: uuid.UUID,
    body: EdgeUpsert,
    response: Response,
    session: SessionDep,
    caller: PathUserCaller,
) -> object:
    """Create (201) or replace (200) the directed edge user → other user."""
    edge, created = service.upsert_edge(session, user_id, other_user_id, body)
    response.status_code = 201 if created else 200
    return edge


@router.get("", response_model=list[EdgeRead], responses=error_responses({404: "User not found"}))
def list_edges(
    user_id: uuid.UUID, session: SessionDep, page: PageDep, caller: PathUserCaller
) -> object:
    """A user's outgoing edges."""
    return service.list_edges(session, user_id, page)


@router.delete(
    "/{other_user_id}",
    status_code=204,
    responses=error_responses({404: "User not found / Edge not found"}),
)
def delete_edge(
    user_id: uuid.UUID, other_user_id: uuid.UUID, session: SessionDep, caller: PathUserCaller
) -> Response:
    service.delete_edge(session, user_id, other_user_id)
    return Response(status_code=204)
