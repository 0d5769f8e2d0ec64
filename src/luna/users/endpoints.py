import uuid

from luna.auth.dependencies import CurrentCaller
from luna.db import SessionDep
from luna.routing import LunaRouter
from luna.schemas import PageDep, error_responses
from luna.users import service
from luna.users.schemas import UserCreate, UserRead, UserUpdate

router = LunaRouter(prefix="/users", tags=["users"])


@router.post(
    "/",
    response_model=UserRead,
    status_code=201,
    responses=error_responses({409: "Handle already taken"}),
)
def create_user(body: UserCreate, session: SessionDep, caller: CurrentCaller) -> object:
    return service.create_user(session, body)


@router.get("/", response_model=list[UserRead])
def list_users(session: SessionDep, page: PageDep, caller: CurrentCaller) -> object:
    return service.list_users(session, page)


@router.get(
    "/{user_id}", response_model=UserRead, responses=error_responses({404: "User not found"})
)
def get_user(user_id: uuid.UUID, session: SessionDep, caller: CurrentCaller) -> object:
    return service.get_user(session, user_id)


@router.patch(
    "/{user_id}",
    response_model=UserRead,
    responses=error_responses({404: "User not found", 409: "Handle already taken"}),
)
def update_user(
    user_id: uuid.UUID, body: UserUpdate, session: SessionDep, caller: CurrentCaller
) -> object:
    return service.update_user(session, user_id, body)
