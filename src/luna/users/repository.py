"""All SQL about users."""

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from luna.models import User
from luna.schemas import Page


def get(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def get_by_handle(session: Session, handle: str) -> User | None:
    """Case-insensitive, served by the unique index on lower(handle)."""
    return session.scalar(select(User).where(func.lower(User.handle) == handle.lower()))


def list_page(session: Session, page: Page) -> Sequence[User]:
    stmt = select(User).order_by(User.created_at, User.id).limit(page.limit).offset(page.offset)
    return session.scalars(stmt).all()


def existing_ids(session: Session, user_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    if not user_ids:
        return set()
    connection = session.connection()
    if connection.dialect.name == "postgresql":  # one array parameter, not thousands
        rows = connection.exec_driver_sql(
            "SELECT id FROM users WHERE id = ANY(%s)", (list(user_ids),)
        )
        return {row[0] for row in rows}
    return set(session.scalars(select(User.id).where(User.id.in_(user_ids))))


def get_many(session: Session, user_ids: set[uuid.UUID]) -> Sequence[User]:
    """Several users in one query (missing ids are simply absent)."""
    if not user_ids:
        return []
    return session.scalars(select(User).where(User.id.in_(user_ids))).all()


def add(session: Session, user: User) -> None:
    session.add(user)


def delete(session: Session, user: User) -> None:
    """The database removes the rest: interactions, edges both ways and participations
    (ON DELETE CASCADE), and un-sets the organizer of their plans (SET NULL)."""
    session.delete(user)
