"""The booking agent: turns a confirmed plan into exactly one booking.

For now the provider is called inline, inside the request's transaction; the plan row is
locked first, so concurrent confirms queue and the later ones find the booking made by the
first. The provider call carries the plan id as idempotency key. Status changes go through
`lifecycle.move`, which enforces the state machine and writes the timeline.
"""

from sqlalchemy.orm import Session

from luna.agent import lifecycle
from luna.agent.providers.base import BookingRequest, ProviderRejected, ProviderUnavailable
from luna.agent.providers.registry import ProviderRegistry
from luna.bookings import repository as booking_repository
from luna.errors import ServiceUnavailable
from luna.models import Booking, BookingStatus, Plan, PlanEventKind, PlanStatus
from luna.observability.metrics import BOOKING_OUTCOMES
from luna.plans import repository as plan_repository
from luna.venues import repository as venue_repository


def book(session: Session, plan: Plan, providers: ProviderRegistry) -> Booking:
    """Book a locked, bookable plan (or return the booking it already has)."""
    booking = booking_repository.get_for_plan(session, plan.id)
    if booking is not None and booking.status == BookingStatus.booked:
        return booking
    lifecycle.move(session, plan, PlanStatus.booking, detail="confirm")
    venue = venue_repository.get(session, plan.venue_id)
    provider = providers.get(venue.booking_provider if venue else None)
    party_size = plan_repository.count_accepted(session, plan.id)
    if booking is None:
        booking = Booking(plan_id=plan.id, provider=provider.name, party_size=party_size)
        booking_repository.add(session, booking)
    booking.provider, booking.party_size = provider.name, party_size
    request = BookingRequest(
        idempotency_key=str(plan.id),
        venue_id=plan.venue_id,
        start_time=plan.start_time,
        party_size=party_size,
    )

    def note_failure(error: Exception) -> None:
        BOOKING_OUTCOMES.labels(provider.name, "error").inc()
        _record_call(session, plan, provider.name, "book", "unavailable", str(error))

    try:
        # The same idempotency key on every attempt: a retry after a lost answer cannot
        # book twice.
        result = providers.retry.call(lambda: provider.book(request), note_failure)
    except ProviderUnavailable:
        reason = "The booking provider is unavailable; try again later"
        booking.status, booking.failure_reason = BookingStatus.failed, reason
        lifecycle.move(session, plan, PlanStatus.booking_failed, detail=reason)
    except ProviderRejected as rejected:
        BOOKING_OUTCOMES.labels(provider.name, "rejected").inc()
        _record_call(session, plan, provider.name, "book", "rejected", rejected.reason)
        booking.status, booking.failure_reason = BookingStatus.failed, rejected.reason
        lifecycle.move(session, plan, PlanStatus.booking_failed, detail=rejected.reason)
    else:
        BOOKING_OUTCOMES.labels(provider.name, "booked").inc()
        _record_call(session, plan, provider.name, "book", "booked", result.external_ref)
        booking.status, booking.external_ref, booking.failure_reason = (
            BookingStatus.booked,
            result.external_ref,
            None,
        )
        lifecycle.move(session, plan, PlanStatus.confirmed, detail=f"booked for {party_size}")
    session.flush()
    return booking


def cancel(session: Session, plan: Plan, providers: ProviderRegistry) -> None:
    """Cancel a locked plan's booking at the provider, then in our records."""
    booking = booking_repository.get_for_plan(session, plan.id)
    lifecycle.move(session, plan, PlanStatus.cancelled, detail="cancel")
    if booking is not None and booking.status == BookingStatus.booked and booking.external_ref:
        ref, provider = booking.external_ref, providers.get(booking.provider)

        def note_failure(error: Exception) -> None:
            _record_call(session, plan, provider.name, "cancel", "unavailable", str(error))

        try:
            providers.retry.call(lambda: provider.cancel(ref, f"cancel:{plan.id}"), note_failure)
        except ProviderUnavailable as exc:
            # Nothing changes (the transaction rolls back): the client retries the cancel.
            raise ServiceUnavailable(
                "The booking provider is unavailable; try again later"
            ) from exc
        BOOKING_OUTCOMES.labels(booking.provider, "cancelled").inc()
        _record_call(session, plan, booking.provider, "cancel", "cancelled", booking.external_ref)
    if booking is not None:
        booking.status = BookingStatus.cancelled
    session.flush()


def _record_call(
    session: Session, plan: Plan, provider: str, call: str, outcome: str, detail: str | None
) -> None:
    lifecycle.record(
        session,
        plan,
        PlanEventKind.provider_call,
        outcome=outcome,
        detail=f"{provider} {call}: {detail}" if detail else f"{provider} {call}",
    )
