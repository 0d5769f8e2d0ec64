import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from luna.agent import flow
from luna.agent.providers.registry import ProviderRegistry
from luna.errors import Conflict, NotFound
from luna.interactions import popularity_repository
from luna.models import User
from luna.models.base import utcnow
from luna.plans import repository as plan_repository
from luna.schemas import Page
from luna.users import repository
from luna.users.schemas import UserCreate, UserUpdate

HANDLE_TAKEN = "Handle already taken"


def get_user(session: Session, user_id: uuid.UUID) -> User:
    user = repository.get(session, user_id)
    if user is None:
        raise NotFound("User not found")
    return user


def require_users(session: Session, user_ids: set[uuid.UUID]) -> None:
    """404 unless every id names a user (one query, whatever the number of ids)."""
    if repository.existing_ids(session, user_ids) != user_ids:
        raise NotFound("User not found")


def list_users(session: Session, page: Page) -> Sequence[User]:
    return repository.list_page(session, page)


def create_user(session: Session, data: UserCreate) -> User:
    if data.id is not None and repository.get(session, data.id) is not None:
        raise Conflict("User id already exists")
    _ensure_handle_free(session, data.handle, None)
    user = User(**data.model_dump(exclude={"id"}))
    if data.id is not None:
        user.id = data.id
    repository.add(session, user)
    _flush_or_conflict(session)
    return user


def update_user(session: Session, user_id: uuid.UUID, data: UserUpdate) -> User:
    user = get_user(session, user_id)
    changes = data.model_dump(exclude_unset=True)
    if "handle" in changes:
        _ensure_handle_free(session, changes["handle"], user.id)
    for field, value in changes.items():
        setattr(user, field, value)
    _flush_or_conflict(session)
    return user


def _ensure_handle_free(session: Session, handle: str, owner_id: uuid.UUID | None) -> None:
    holder = repository.get_by_handle(session, handle)
    if holder is not None and holder.id != owner_id:
        raise Conflict(HANDLE_TAKEN)


def _flush_or_conflict(session: Session) -> None:
    # Two concurrent creates with one handle both pass the check; the unique index decides.
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(HANDLE_TAKEN) from exc


def delete_user(session: Session, user_id: uuid.UUID, providers: ProviderRegistry) -> None:
    """Delete an account and everything that is only about that person.

    Upcoming plans they organize are cancelled first (their bookings through the agent), so
    the other participants see a cancelled plan rather than one nobody runs.
    """
    user = get_user(session, user_id)
    for plan in plan_repository.organized_upcoming(session, user_id, utcnow()):
        flow.cancel(session, plan, providers)
    repository.delete(session, user)
    # Their interactions go with them (cascade): popularity is counted afresh.
    popularity_repository.forget_popularity_windows(session)
    session.flush()
