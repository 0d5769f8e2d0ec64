import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from luna.bookings import repository
from luna.errors import NotFound
from luna.models import Booking
from luna.plans import repository as plan_repository
from luna.schemas import Page


def get_booking(session: Session, booking_id: uuid.UUID) -> Booking:
    booking = repository.get(session, booking_id)
    if booking is None:
        raise NotFound("Booking not found")
    return booking


def get_plan_booking(session: Session, plan_id: uuid.UUID) -> Booking:
    if plan_repository.get(session, plan_id) is None:
        raise NotFound("Plan not found")
    booking = repository.get_for_plan(session, plan_id)
    if booking is None:
        raise NotFound("Booking not found")
    return booking


def list_bookings(
    session: Session, page: Page, plan_id: uuid.UUID | None, user_id: uuid.UUID | None
) -> Sequence[Booking]:
    return repository.list_page(session, page, plan_id, user_id)
