import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from luna.errors import NotFound
from luna.interactions import repository
from luna.interactions.schemas import BatchItem, InteractionCreate
from luna.models import Interaction
from luna.models.base import utcnow
from luna.schemas import Page
from luna.users import repository as user_repository
from luna.users import service as user_service
from luna.venues import repository as venue_repository
from luna.venues import service as venue_service


def log_interaction(session: Session, venue_id: uuid.UUID, data: InteractionCreate) -> Interaction:
    venue_service.get_venue(session, venue_id)
    user_service.get_user(session, data.user_id)
    interaction = Interaction(
        user_id=data.user_id,
        venue_id=venue_id,
        interaction_type=data.interaction_type,
        dwell_time_seconds=data.dwell_time_seconds,
        occurred_at=data.occurred_at or utcnow(),
    )
    repository.add(session, interaction)
    session.flush()
    return interaction


def log_batch(session: Session, items: list[BatchItem]) -> int:
    """All or nothing: every user and venue must exist, or nothing is written."""
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
            "id": uuid.uuid4(),
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
