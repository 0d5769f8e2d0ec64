import uuid

from fastapi import Response

from luna.auth.dependencies import Caller, CurrentCaller, PathUserCaller
from luna.db import SessionDep
from luna.dependencies import ProvidersDep
from luna.models import User
from luna.routing import LunaRouter
from luna.schemas import COMMON_ERRORS, PageDep, error_responses
from luna.users import service
from luna.users.schemas import UserCreate, UserRead, UserUpdate, present_user

router = LunaRouter(prefix="/users", tags=["users"], responses=COMMON_ERRORS)


def _as_seen_by(caller: Caller, user: User) -> UserRead:
    return present_user(user, show_home=caller.is_admin or caller.is_user(user.id))


@router.post(
    "/",
    response_model=UserRead,
    status_code=201,
    responses=error_responses({409: "Handle already taken / User id already exists"}),
)
def create_user(body: UserCreate, session: SessionDep, caller: CurrentCaller) -> object:
    """Create a profile. With authentication on, it is the caller's own (id = the token's
    `sub`); admins may create anyone."""
    profile_id = caller.own_profile_id(body.id)
    return service.create_user(session, body.model_copy(update={"id": profile_id}))


@router.get("/", response_model=list[UserRead])
def list_users(session: SessionDep, page: PageDep, caller: CurrentCaller) -> object:
    """Profiles; home coordinates are shown only on the caller's own."""
    return [_as_seen_by(caller, user) for user in service.list_users(session, page)]


@router.get(
    "/{user_id}", response_model=UserRead, responses=error_responses({404: "User not found"})
)
def get_user(user_id: uuid.UUID, session: SessionDep, caller: CurrentCaller) -> object:
    return _as_seen_by(caller, service.get_user(session, user_id))


@router.patch(
    "/{user_id}",
    response_model=UserRead,
    responses=error_responses({404: "User not found", 409: "Handle already taken"}),
)
def update_user(
    user_id: uuid.UUID, body: UserUpdate, session: SessionDep, caller: PathUserCaller
) -> object:
    """Change your own profile (only the fields sent)."""
    return service.update_user(session, user_id, body)


@router.delete("/{user_id}", status_code=204, responses=error_responses({404: "User not found"}))
def delete_user(
    user_id: uuid.UUID, session: SessionDep, providers: ProvidersDep, caller: PathUserCaller
) -> Response:
    """Delete your account: your profile, interactions, edges (both ways) and participations.
    Upcoming plans you organize are cancelled, with their bookings."""
    service.delete_user(session, user_id, providers)
    return Response(status_code=204)
