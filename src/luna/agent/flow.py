"""The booking agent: turns a confirmed plan into exactly one booking.

Confirm only moves the plan to `booking` (`start`) and records a booking job (luna/agent/
tasks.py); the job runs `book` in a worker, with the plan row locked, so two runs of the same
job (a re-delivery after a crash) queue and the later one finds the plan already decided. The
provider call carries the plan id as idempotency key, so a run that died after the partner
booked gets that same booking back instead of a second one. Status changes go through
`lifecycle.move`, which enforces the state machine and writes the timeline.
"""

from collections.abc import Callable

from sqlalchemy.orm import Session

from luna.agent import lifecycle
from luna.agent.providers.base import (
    BookingProvider,
    BookingRequest,
    ProviderBooking,
    ProviderRejected,
    ProviderUnavailable,
)
from luna.agent.providers.registry import ProviderRegistry
from luna.bookings import repository as booking_repository
from luna.errors import Conflict, ServiceUnavailable
from luna.models import Booking, BookingStatus, Plan, PlanEventKind, PlanStatus
from luna.observability.metrics import BOOKING_OUTCOMES
from luna.plans import repository as plan_repository
from luna.venues import repository as venue_repository

UNAVAILABLE = "The booking provider is unavailable; try again later"


def start(session: Session, plan: Plan) -> None:
    """A locked, bookable plan goes to `booking`; the booking job does the rest (`book`)."""
    lifecycle.move(session, plan, PlanStatus.booking, detail="confirm")


def book(session: Session, plan: Plan, providers: ProviderRegistry) -> Booking:
    """Book a locked plan in `booking`: it ends `confirmed` or `booking_failed`.

    Providers are tried in order (the venue's, then the fallbacks) while they say "no
    availability" or refuse. A booking call that failed transiently may have booked, so it is
    never followed by another provider: the plan fails, and the next confirm goes back to that
    same provider with the same idempotency key.
    """
    if plan.status != PlanStatus.booking:
        raise Conflict(f"Plan is {plan.status}: cannot book it")
    booking = booking_repository.get_for_plan(session, plan.id)
    venue = venue_repository.get(session, plan.venue_id)
    party_size = plan_repository.count_accepted(session, plan.id)
    request = BookingRequest(
        idempotency_key=str(plan.id),
        venue_id=plan.venue_id,
        start_time=plan.start_time,
        party_size=party_size,
    )
    if booking is not None and booking.failure_reason == UNAVAILABLE:
        candidates = [providers.get(booking.provider)]  # it may have booked: reconcile there
    else:
        candidates = providers.candidates(venue.booking_provider if venue else None)
    if booking is None:
        booking = Booking(plan_id=plan.id, provider=candidates[0].name, party_size=party_size)
        booking_repository.add(session, booking)
    booking.party_size = party_size
    reason = UNAVAILABLE
    for provider in candidates:
        booking.provider = provider.name
        outcome = _try_provider(session, plan, provider, request, providers)
        if isinstance(outcome, ProviderBooking):
            booking.status, booking.external_ref, booking.failure_reason = (
                BookingStatus.booked,
                outcome.external_ref,
                None,
            )
            lifecycle.move(session, plan, PlanStatus.confirmed, detail=f"booked for {party_size}")
            session.flush()
            return booking
        reason = outcome
        if reason == UNAVAILABLE:
            break
    booking.status, booking.failure_reason = BookingStatus.failed, reason
    lifecycle.move(session, plan, PlanStatus.booking_failed, detail=reason)
    session.flush()
    return booking


def _try_provider(
    session: Session,
    plan: Plan,
    provider: BookingProvider,
    request: BookingRequest,
    providers: ProviderRegistry,
) -> ProviderBooking | str:
    """The booking, or why not: a refusal's reason, or UNAVAILABLE after transient failures."""

    def note_failure(call: str) -> Callable[[Exception], None]:
        def note(error: Exception) -> None:
            BOOKING_OUTCOMES.labels(provider.name, "error").inc()
            _record_call(session, plan, provider.name, call, "unavailable", str(error))

        return note

    try:
        available, why_not = providers.retry.call(
            lambda: provider.is_available(request), note_failure("availability")
        )
    except ProviderUnavailable:
        return "No booking provider could be reached; try again later"  # nothing was booked
    if not available:
        reason = why_not or "No availability"
        _record_call(session, plan, provider.name, "availability", "no_availability", reason)
        return reason
    _record_call(session, plan, provider.name, "availability", "available", None)
    try:
        # The same idempotency key on every attempt: a retry after a lost answer returns the
        # booking the provider already made instead of making another.
        result = providers.retry.call(lambda: provider.book(request), note_failure("book"))
    except ProviderUnavailable:
        return UNAVAILABLE
    except ProviderRejected as rejected:
        BOOKING_OUTCOMES.labels(provider.name, "rejected").inc()
        _record_call(session, plan, provider.name, "book", "rejected", rejected.reason)
        return rejected.reason
    BOOKING_OUTCOMES.labels(provider.name, "booked").inc()
    _record_call(session, plan, provider.name, "book", "booked", result.external_ref)
    return result


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
