import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from luna.errors import NotFound, validation_error
from luna.models import SocialEdge
from luna.schemas import Page
from luna.social import repository
from luna.social.schemas import EdgeUpsert
from luna.users import service as user_service


def upsert_edge(
    session: Session, user_id: uuid.UUID, other_user_id: uuid.UUID, data: EdgeUpsert
) -> tuple[SocialEdge, bool]:
    """Create or replace the edge; returns it and whether it was created."""
    if user_id == other_user_id:
        raise validation_error(
            ("path", "other_user_id"), "A user cannot have an edge to themselves"
        )
    user_service.get_user(session, user_id)
    user_service.get_user(session, other_user_id)
    edge = repository.get(session, user_id, other_user_id)
    created = edge is None
    if edge is None:
        edge = SocialEdge(user_id=user_id, other_user_id=other_user_id)
        repository.add(session, edge)
    edge.relationship_type = data.relationship_type
    edge.strength = data.strength
    session.flush()
    return edge, created


def list_edges(session: Session, user_id: uuid.UUID, page: Page) -> Sequence[SocialEdge]:
    user_service.get_user(session, user_id)
    return repository.outgoing(session, user_id, page)


def delete_edge(session: Session, user_id: uuid.UUID, other_user_id: uuid.UUID) -> None:
    edge = repository.get(session, user_id, other_user_id)
    if edge is None:
        user_service.get_user(session, user_id)
        user_service.get_user(session, other_user_id)
        raise NotFound("Edge not found")
    repository.delete(session, edge)
    session.flush()
