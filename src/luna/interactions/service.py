import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from luna.errors import NotFound
from luna.interactions import repository
from luna.interactions.schemas import BatchItem, InteractionCreate, InteractionRead
from luna.models import Interaction
from luna.models.base import utcnow, uuid7
from luna.schemas import Page
from luna.users import repository as user_repository
from luna.users import service as user_service
from luna.venues import repository as venue_repository


def log_interaction(
    session: Session, venue_id: uuid.UUID, data: InteractionCreate
) -> InteractionRead:
    """One statement when the user and the venue exist (the usual case); the database keeps
    the category totals (triggers, migration b7d2e4f19a03)."""
    row = _new_row(venue_id, data)
    if not repository.insert_one(session, row):
        user_exists, venue_exists, _ = repository.user_and_venue(session, data.user_id, venue_id)
        if not venue_exists:
            raise NotFound("Venue not found")
        if not user_exists:
            raise NotFound("User not found")
    return InteractionRead.model_construct(**row)


def _new_row(venue_id: uuid.UUID, data: InteractionCreate) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": uuid7(),
        "user_id": data.user_id,
        "venue_id": venue_id,
        "interaction_type": data.interaction_type,
        "dwell_time_seconds": data.dwell_time_seconds,
        "occurred_at": data.occurred_at or now,
        "created_at": now,
    }


def log_batch(session: Session, items: list[BatchItem]) -> int:
    """All or nothing: every user and venue must exist, or nothing is written. PostgreSQL
    checks and writes in SQL from one COPY (`repository.insert_batch_staged`)."""
    if session.connection().dialect.name == "postgresql":
        unknown = repository.insert_batch_staged(session, items, utcnow())
        if unknown is not None:
            index, what = unknown
            raise NotFound(f"interactions[{index}]: {what} not found")
        return len(items)
    known_users = user_repository.existing_ids(session, {item.user_id for item in items})
    known_venues = venue_repository.existing_ids(session, {item.venue_id for item in items})
    for index, item in enumerate(items):
        if item.user_id not in known_users:
            raise NotFound(f"interactions[{index}]: User not found")
        if item.venue_id not in known_venues:
            raise NotFound(f"interactions[{index}]: Venue not found")
    now = utcnow()
    rows = [
        {
            "id": uuid7(),
            "user_id": item.user_id,
            "venue_id": item.venue_id,
            "interaction_type": item.interaction_type,
            "dwell_time_seconds": item.dwell_time_seconds,
            "occurred_at": item.occurred_at or now,
            "created_at": now,
        }
        for item in items
    ]
    repository.bulk_insert(session, rows)
    return len(rows)


def list_user_interactions(
    session: Session, user_id: uuid.UUID, page: Page
) -> Sequence[Interaction]:
    user_service.get_user(session, user_id)
    return repository.list_for_user(session, user_id, page)
