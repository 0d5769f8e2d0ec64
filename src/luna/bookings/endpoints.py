import uuid
from typing import Annotated

from fastapi import Query

from luna.auth.dependencies import CurrentCaller
from luna.bookings import service
from luna.bookings.schemas import BookingRead, BookingSummary
from luna.db import SessionDep
from luna.plans.dependencies import VisiblePlanId, ensure_participant
from luna.routing import LunaRouter
from luna.schemas import COMMON_ERRORS, PageDep, error_responses

router = LunaRouter(tags=["bookings"], responses=COMMON_ERRORS)


@router.get("/bookings/", response_model=list[BookingSummary])
def list_bookings(
    session: SessionDep,
    page: PageDep,
    caller: CurrentCaller,
    plan_id: Annotated[uuid.UUID | None, Query(description="Only this plan's booking")] = None,
    user_id: Annotated[
        uuid.UUID | None,
        Query(description="Only plans this user takes part in (default for non-admins: you)"),
    ] = None,
) -> object:
    return service.list_bookings(session, page, plan_id, caller.scope_to_self(user_id))


@router.get(
    "/bookings/{booking_id}",
    response_model=BookingRead,
    responses=error_responses({404: "Booking not found"}),
)
def get_booking(booking_id: uuid.UUID, session: SessionDep, caller: CurrentCaller) -> object:
    """A booking, for the participants of its plan."""
    booking = service.get_booking(session, booking_id)
    ensure_participant(session, caller, booking.plan_id)
    return booking


@router.get(
    "/plans/{plan_id}/booking",
    response_model=BookingRead,
    responses=error_responses({404: "Plan not found / Booking not found"}),
)
def get_plan_booking(plan_id: VisiblePlanId, session: SessionDep) -> object:
    return service.get_plan_booking(session, plan_id)
