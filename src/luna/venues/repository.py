"""All SQL about venues."""

import uuid
from collections.abc import Sequence

from sqlalchemy import Row, select, text
from sqlalchemy.orm import Session

from luna.models import Venue
from luna.schemas import Page


def get(session: Session, venue_id: uuid.UUID) -> Venue | None:
    return session.get(Venue, venue_id)


def list_page(session: Session, page: Page, category: str | None) -> Sequence[Venue]:
    stmt = select(Venue)
    if category is not None:
        stmt = stmt.where(Venue.category == category)
    stmt = stmt.order_by(Venue.created_at, Venue.id).limit(page.limit).offset(page.offset)
    return session.scalars(stmt).all()


def in_box(
    session: Session,
    box: tuple[float, float, float, float],
    category: str | None,
) -> Sequence[Venue]:
    """Venues inside a lat/lng box (the index prefilter of a radius search)."""
    min_lat, max_lat, min_lng, max_lng = box
    stmt = select(Venue).where(
        Venue.lat.between(min_lat, max_lat), Venue.lng.between(min_lng, max_lng)
    )
    if category is not None:
        stmt = stmt.where(Venue.category == category)
    return session.scalars(stmt).all()


def candidate_rows(
    session: Session,
) -> Sequence[Row[tuple[uuid.UUID, str, str | None, float, float, int | None, float | None]]]:
    """Every venue as the recommender's venue index holds it."""
    stmt = select(
        Venue.id, Venue.name, Venue.category, Venue.lat, Venue.lng, Venue.price_level, Venue.rating
    )
    return session.execute(stmt).all()


# Every field candidate_rows reads, as row text (quoted where needed, so no two catalogs read
# alike), in id order.
_CATALOG_DIGEST = text(
    "SELECT md5(string_agg(ROW(id, name, category, lat, lng, price_level, rating)::text, ';'"
    " ORDER BY id)) FROM venues"
)


def catalog_digest(session: Session) -> str | None:
    """A digest of what `candidate_rows` would return, computed by PostgreSQL
    (~20 ms at 20,000 venues, none of it the caller's): equal digests, equal catalogs. None on
    SQLite, or without venues."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    digest: str | None = session.scalar(_CATALOG_DIGEST)
    return digest


def add(session: Session, venue: Venue) -> None:
    session.add(venue)


def existing_ids(session: Session, venue_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    if not venue_ids:
        return set()
    return set(session.scalars(select(Venue.id).where(Venue.id.in_(venue_ids))))
