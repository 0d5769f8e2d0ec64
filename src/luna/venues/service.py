import uuid
from collections.abc import Sequence

import numpy as np
from sqlalchemy.orm import Session

from luna.errors import Conflict, NotFound
from luna.geo import bounding_box, haversine_km
from luna.models import Venue
from luna.schemas import Page
from luna.venues import repository
from luna.venues.schemas import (
    NearPoint,
    VenueCreate,
    VenueDetail,
    VenueQuery,
    VenueRead,
    VenueUpdate,
)
from luna.vibes import service as vibe_service


def get_venue(session: Session, venue_id: uuid.UUID) -> Venue:
    venue = repository.get(session, venue_id)
    if venue is None:
        raise NotFound("Venue not found")
    return venue


def venue_detail(session: Session, venue_id: uuid.UUID) -> VenueDetail:
    """A venue with its vibe profile (one more statement)."""
    venue = get_venue(session, venue_id)
    return VenueDetail(
        **VenueRead.model_validate(venue).model_dump(),
        vibes=vibe_service.venue_vibes(session, venue_id),
    )


def list_venues(session: Session, page: Page, query: VenueQuery) -> Sequence[Venue]:
    if query.near is None:
        return repository.list_page(session, page, query.category)
    return _search_near(session, page, query.category, query.near)


def _search_near(
    session: Session, page: Page, category: str | None, near: NearPoint
) -> list[Venue]:
    """Venues within the circle, nearest first (ties: creation time, then id)."""
    box = bounding_box(near.lat, near.lng, near.radius_km)
    venues = repository.in_box(session, box, category)
    distances = haversine_km(
        near.lat,
        near.lng,
        np.array([v.lat for v in venues], dtype=np.float64),
        np.array([v.lng for v in venues], dtype=np.float64),
    )
    inside = sorted(
        ((d, v) for d, v in zip(distances.tolist(), venues, strict=True) if d <= near.radius_km),
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
    """A category change moves the venue's visitors' category totals with it (a trigger)."""
    venue = get_venue(session, venue_id)
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(venue, field, value)
    session.flush()
    return venue
