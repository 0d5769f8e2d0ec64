import uuid
from typing import Annotated

from fastapi import Header, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from luna.auth.dependencies import CurrentCaller, PathUserCaller
from luna.bookings.schemas import BookingRead
from luna.db import SessionDep
from luna.dependencies import BookingQueueDep, ProvidersDep, SettingsDep
from luna.errors import Conflict
from luna.models import ParticipantStatus, PlanStatus
from luna.plans import service
from luna.plans.dependencies import OrganizedPlanId, VisiblePlanId
from luna.plans.schemas import (
    ConfirmResult,
    ParticipantAdd,
    ParticipantAnswer,
    ParticipantDetail,
    PlanCreate,
    PlanEventRead,
    PlanRead,
    PlanSummary,
)
from luna.routing import LunaRouter
from luna.schemas import COMMON_ERRORS, PageDep, error_responses

router = LunaRouter(prefix="/plans", tags=["plans"], responses=COMMON_ERRORS)

PLAN_NOT_FOUND = error_responses({404: "Plan not found"})


@router.post(
    "/",
    response_model=PlanRead,
    status_code=201,
    responses=error_responses(
        {404: "User not found / Venue not found", 409: "Idempotency-Key reused for another request"}
    ),
)
def create_plan(
    body: PlanCreate,
    session: SessionDep,
    caller: CurrentCaller,
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=255,
            pattern=r"^[\x21-\x7e]+$",
            description="Retry-safe creation: the same key and body return the first plan; "
            "the same key with another body is a 409",
        ),
    ] = None,
) -> object:
    """A plan you organize at a venue; you take part (accepted), the others are invited."""
    caller.ensure_self(body.organizer_id)
    return service.create_plan(session, body, idempotency_key)


@router.get("/", response_model=list[PlanSummary])
def list_plans(
    session: SessionDep,
    page: PageDep,
    caller: CurrentCaller,
    user_id: Annotated[
        uuid.UUID | None,
        Query(description="Plans this user organizes or takes part in (default: yours)"),
    ] = None,
) -> object:
    return service.list_plans(session, page, caller.scope_to_self(user_id))


@router.get("/{plan_id}", response_model=PlanRead, responses=PLAN_NOT_FOUND)
def get_plan(plan_id: VisiblePlanId, session: SessionDep) -> object:
    """A plan, for its participants."""
    return service.get_plan(session, plan_id)


@router.get("/{plan_id}/events", response_model=list[PlanEventRead], responses=PLAN_NOT_FOUND)
def list_plan_events(plan_id: VisiblePlanId, session: SessionDep, page: PageDep) -> object:
    """The plan's timeline, oldest first: every status change and every call the booking
    agent made to a provider (time, kind, outcome, detail)."""
    return service.list_events(session, plan_id, page)


@router.post(
    "/{plan_id}/participants",
    response_model=ParticipantDetail,
    status_code=201,
    responses=error_responses(
        {
            404: "Plan not found / User not found",
            409: "User is already a participant / Plan is cancelled",
        }
    ),
)
def invite(plan_id: OrganizedPlanId, body: ParticipantAdd, session: SessionDep) -> object:
    """Invite someone to your plan (status `invited`)."""
    return service.invite(session, plan_id, body.user_id)


@router.patch(
    "/{plan_id}/participants/{user_id}",
    response_model=ParticipantDetail,
    responses=error_responses(
        {404: "Plan not found / Participant not found", 409: "Plan is cancelled"}
    ),
)
def answer_invitation(
    plan_id: uuid.UUID,
    user_id: uuid.UUID,
    body: ParticipantAnswer,
    session: SessionDep,
    caller: PathUserCaller,
) -> object:
    """Accept or decline your invitation."""
    return service.answer_invitation(session, plan_id, user_id, ParticipantStatus(body.status))


@router.post(
    "/{plan_id}/confirm",
    response_model=ConfirmResult,
    responses={
        202: {
            "model": PlanRead,
            "description": "The agent is still booking (status `booking`): poll the plan",
        },
        **error_responses(
            {404: "Plan not found", 409: "Plan is cancelled / has started / organizer not accepted"}
        ),
    },
)
async def confirm_plan(
    plan_id: OrganizedPlanId,
    session: SessionDep,
    queue: BookingQueueDep,
    settings: SettingsDep,
    request: Request,
    wait: Annotated[
        bool,
        Query(
            description="Wait for the outcome (up to LUNA_CONFIRM_WAIT_SECONDS); "
            "false answers 202 at once unless the plan is already decided"
        ),
    ] = True,
) -> object:
    """The agent books your plan: 200 with the outcome (`confirmed` or `booking_failed`),
    or 202 with the plan in `booking` while it is still at work. Confirming again returns
    the same booking."""

    def confirm_and_commit() -> bool:
        # Commit before waiting: the booking job reads the plan in `booking` (and on
        # PostgreSQL the queued job only exists from this commit on). In the same thread
        # call as the row lock, so the lock is never held while waiting for a thread. The
        # session dependency's own commit then has nothing left to do.
        recorded = service.confirm_plan(session, plan_id, queue)
        session.commit()
        return recorded

    recorded = await run_in_threadpool(confirm_and_commit)
    if recorded:
        queue.after_commit(plan_id)
    seconds = settings.luna_confirm_wait_seconds if wait else 0
    plan, booking = await service.wait_for_confirmation(
        request.app.state.session_factory, plan_id, seconds
    )
    if plan.status == PlanStatus.booking:
        return JSONResponse(
            status_code=202,
            content=jsonable_encoder(PlanRead.model_validate(plan)),
            headers={"Location": f"/plans/{plan_id}"},
        )
    if booking is None:  # cancelled while we waited
        raise Conflict(f"Plan is {plan.status}")
    return ConfirmResult(
        plan_id=plan.id,
        booking_id=booking.id,
        status=plan.status,
        booking=BookingRead.model_validate(booking),
    )


@router.post("/{plan_id}/cancel", response_model=PlanRead, responses=PLAN_NOT_FOUND)
def cancel_plan(plan_id: OrganizedPlanId, session: SessionDep, providers: ProvidersDep) -> object:
    """Cancel your plan and its booking. Cancelling twice is harmless."""
    return service.cancel_plan(session, plan_id, providers)
