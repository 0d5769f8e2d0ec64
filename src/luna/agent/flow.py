"""The booking agent: turns a confirmed plan into exactly one booking.

For now the provider is called inline, inside the request's transaction; the plan row is
locked first, so concurrent confirms queue and the later ones find the booking made by the
first. The provider call carries the plan id as idempotency key.
"""

from sqlalchemy.orm import Session

from luna.agent.providers.base import BookingRequest, ProviderRejected
from luna.agent.providers.registry import ProviderRegistry
from luna.bookings import repository as booking_repository
from luna.models import Booking, BookingStatus, Plan, PlanStatus
from luna.observability.metrics import BOOKING_OUTCOMES
from luna.plans import repository as plan_repository
from luna.venues import repository as venue_repository


def book(session: Session, plan: Plan, providers: ProviderRegistry) -> Booking:
    """Book a locked, bookable plan (or return the booking it already has)."""
    booking = booking_repository.get_for_plan(session, plan.id)
    if booking is not None and booking.status == BookingStatus.booked:
        return booking
    venue = venue_repository.get(session, plan.venue_id)
    provider = providers.get(venue.booking_provider if venue else None)
    party_size = plan_repository.count_accepted(session, plan.id)
    if booking is None:
        booking = Booking(plan_id=plan.id, provider=provider.name, party_size=party_size)
        booking_repository.add(session, booking)
    booking.provider, booking.party_size = provider.name, party_size
    try:
        result = provider.book(
            BookingRequest(
                idempotency_key=str(plan.id),
                venue_id=plan.venue_id,
                start_time=plan.start_time,
                party_size=party_size,
            )
        )
    except ProviderRejected as rejected:
        BOOKING_OUTCOMES.labels(provider.name, "rejected").inc()
        booking.status, booking.failure_reason = BookingStatus.failed, rejected.reason
        plan.status = PlanStatus.booking_failed
    else:
        BOOKING_OUTCOMES.labels(provider.name, "booked").inc()
        booking.status, booking.external_ref, booking.failure_reason = (
            BookingStatus.booked,
            result.external_ref,
            None,
        )
        plan.status = PlanStatus.confirmed
    session.flush()
    return booking


def cancel(session: Session, plan: Plan, providers: ProviderRegistry) -> None:
    """Cancel a locked plan's booking at the provider, then in our records."""
    booking = booking_repository.get_for_plan(session, plan.id)
    if booking is not None and booking.status == BookingStatus.booked and booking.external_ref:
        providers.get(booking.provider).cancel(booking.external_ref, f"cancel:{plan.id}")
        BOOKING_OUTCOMES.labels(booking.provider, "cancelled").inc()
    if booking is not None:
        booking.status = BookingStatus.cancelled
    plan.status = PlanStatus.cancelled
    session.flush()
