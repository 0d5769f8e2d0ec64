import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from luna.errors import Conflict, NotFound
from luna.geo import bounding_box, haversine_km
from luna.models import Venue
from luna.schemas import Page
from luna.venues import repository
from luna.venues.schemas import VenueCreate, VenueUpdate


def get_venue(session: Session, venue_id: uuid.UUID) -> Venue:
    venue = repository.get(session, venue_id)
    if venue is None:
        raise NotFound("Venue not found")
    return venue


def list_venues(session: Session, page: Page, category: str | None) -> Sequence[Venue]:
    return repository.list_page(session, page, category)


def search_near(
    session: Session,
    page: Page,
    category: str | None,
    lat: float,
    lng: float,
    radius_km: float,
) -> list[Venue]:
    """Venues within `radius_km` of a point, nearest first (ties: creation time, then id)."""
    candidates = repository.in_box(session, bounding_box(lat, lng, radius_km), category)
    with_distance = [(haversine_km(lat, lng, v.lat, v.lng), v) for v in candidates]
    inside = sorted(
        ((d, v) for d, v in with_distance if d <= radius_km),
        key=lambda pair: (pair[0], pair[1].created_at, pair[1].id),
    )
    return [v for _, v in inside[page.offset : page.offset + page.limit]]


def create_venue(session: Session, data: VenueCreate) -> Venue:
    if data.id is not None and repository.get(session, data.id) is not None:
        raise Conflict("Venue id already exists")
    venue = Venue(**data.model_dump(exclude={"id"}))
    if data.id is not None:
        venue.id = data.id
    repository.add(session, venue)
    session.flush()
    return venue


def update_venue(session: Session, venue_id: uuid.UUID, data: VenueUpdate) -> Venue:
    venue = get_venue(session, venue_id)
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(venue, field, value)
    session.flush()
    return venue
