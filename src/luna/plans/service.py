import asyncio
import hashlib
import json
import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from luna.agent import flow, lifecycle
from luna.agent.providers.registry import ProviderRegistry
from luna.agent.tasks import BookingQueue
from luna.bookings import repository as booking_repository
from luna.db import READ_ONLY
from luna.errors import Conflict, NotFound
from luna.models import (
    Booking,
    ParticipantStatus,
    Plan,
    PlanEvent,
    PlanIdempotencyKey,
    PlanParticipant,
    PlanStatus,
)
from luna.models.base import utcnow
from luna.plans import repository
from luna.plans.schemas import PlanCreate
from luna.schemas import Page
from luna.users import service as user_service
from luna.venues import service as venue_service

PLAN_CANCELLED = "Plan is cancelled"


def get_plan(session: Session, plan_id: uuid.UUID, *, lock: bool = False) -> Plan:
    plan = repository.get_with_participants(session, plan_id, lock=lock)
    if plan is None:
        raise NotFound("Plan not found")
    return plan


def list_plans(session: Session, page: Page, user_id: uuid.UUID | None) -> Sequence[Plan]:
    return repository.list_page(session, page, user_id)


def create_plan(session: Session, data: PlanCreate, idempotency_key: str | None = None) -> Plan:
    """Create a plan; with an Idempotency-Key, a retry of the same request returns the plan
    the first one created, and the same key with another request is a 409."""
    if idempotency_key is not None:
        fingerprint = _fingerprint(data)
        seen = repository.get_idempotency_key(session, data.organizer_id, idempotency_key)
        if seen is not None:
            if seen.request_hash != fingerprint:
                raise Conflict("Idempotency-Key was already used with another request")
            return get_plan(session, seen.plan_id)
    plan = _create_plan(session, data)
    if idempotency_key is not None:
        repository.add(
            session,
            PlanIdempotencyKey(
                organizer_id=data.organizer_id,
                key=idempotency_key,
                request_hash=fingerprint,
                plan_id=plan.id,
            ),
        )
        try:
            session.flush()
        except IntegrityError as exc:  # the same key, at the same moment, on another worker
            raise Conflict("A request with this Idempotency-Key is in progress") from exc
    return plan


def _fingerprint(data: PlanCreate) -> str:
    canonical = json.dumps(data.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _create_plan(session: Session, data: PlanCreate) -> Plan:
    user_service.get_user(session, data.organizer_id)
    venue_service.get_venue(session, data.venue_id)
    invitees = list(dict.fromkeys(pid for pid in data.participant_ids if pid != data.organizer_id))
    user_service.require_users(session, set(invitees))
    plan = Plan(
        organizer_id=data.organizer_id,
        venue_id=data.venue_id,
        start_time=data.start_time,
        title=data.title,
        status=PlanStatus.pending,
    )
    plan.participants = [
        PlanParticipant(user_id=data.organizer_id, status=ParticipantStatus.accepted)
    ]
    plan.participants += [
        PlanParticipant(user_id=uid, status=ParticipantStatus.invited) for uid in invitees
    ]
    repository.add(session, plan)
    session.flush()
    lifecycle.record_creation(session, plan)
    session.flush()
    return plan


def invite(session: Session, plan_id: uuid.UUID, user_id: uuid.UUID) -> PlanParticipant:
    plan = get_plan(session, plan_id, lock=True)
    user_service.get_user(session, user_id)
    if plan.status == PlanStatus.cancelled:
        raise Conflict(PLAN_CANCELLED)
    if any(p.user_id == user_id for p in plan.participants):
        raise Conflict("User is already a participant")
    participant = PlanParticipant(
        plan_id=plan.id, user_id=user_id, status=ParticipantStatus.invited
    )
    repository.add(session, participant)
    session.flush()
    return participant


def answer_invitation(
    session: Session, plan_id: uuid.UUID, user_id: uuid.UUID, status: ParticipantStatus
) -> PlanParticipant:
    plan = get_plan(session, plan_id, lock=True)
    participant = repository.get_participant(session, plan_id, user_id)
    if participant is None:
        raise NotFound("Participant not found")
    if plan.status == PlanStatus.cancelled:
        raise Conflict(PLAN_CANCELLED)
    participant.status = status
    session.flush()
    return participant


def confirm_plan(session: Session, plan_id: uuid.UUID, queue: BookingQueue) -> bool:
    """Ask the agent to book the plan: it goes to `booking` and a booking job is recorded,
    in this transaction. False when there is nothing to do (booked, or a job in flight)."""
    # Read first without the row lock: while a job books the plan, its worker holds that
    # lock for as long as the provider takes, and a confirm has nothing to change then.
    if repository.status_of(session, plan_id) in IN_FLIGHT_OR_DONE:
        return False
    plan = get_plan(session, plan_id, lock=True)
    if plan.status == PlanStatus.cancelled:
        raise Conflict(PLAN_CANCELLED)
    if plan.status in IN_FLIGHT_OR_DONE:  # another confirm got there first
        return False
    _ensure_bookable(plan)
    flow.start(session, plan)
    queue.record(session, plan.id)
    return True


IN_FLIGHT_OR_DONE = frozenset({PlanStatus.booking, PlanStatus.confirmed})


def confirmation(session: Session, plan_id: uuid.UUID) -> tuple[Plan, Booking | None]:
    """The plan and, once the agent has decided (confirmed or failed), its booking."""
    plan = get_plan(session, plan_id)
    if plan.status == PlanStatus.booking:
        return plan, None
    return plan, booking_repository.get_for_plan(session, plan_id)


async def wait_for_confirmation(
    session_factory: sessionmaker[Session], plan_id: uuid.UUID, seconds: float
) -> tuple[Plan, Booking | None]:
    """Poll the plan until its booking job has decided, or `seconds` have passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    pause = 0.01
    while True:
        plan, booking = await run_in_threadpool(_read_confirmation, session_factory, plan_id)
        remaining = deadline - loop.time()
        if plan.status != PlanStatus.booking or remaining <= 0:
            return plan, booking
        await asyncio.sleep(min(pause, remaining))
        pause = min(pause * 2, 0.25)


def _read_confirmation(
    session_factory: sessionmaker[Session], plan_id: uuid.UUID
) -> tuple[Plan, Booking | None]:
    with session_factory() as session:
        session.connection(execution_options={READ_ONLY: True})
        return confirmation(session, plan_id)


def _ensure_bookable(plan: Plan) -> None:
    if plan.start_time <= utcnow():
        raise Conflict(f"Plan is {plan.status} and has already started")
    organizer = next((p for p in plan.participants if p.user_id == plan.organizer_id), None)
    if organizer is None or organizer.status != ParticipantStatus.accepted:
        raise Conflict(f"Plan is {plan.status}: the organizer has not accepted it")


def list_events(session: Session, plan_id: uuid.UUID, page: Page) -> Sequence[PlanEvent]:
    return repository.events(session, plan_id, page)


def cancel_plan(session: Session, plan_id: uuid.UUID, providers: ProviderRegistry) -> Plan:
    plan = get_plan(session, plan_id, lock=True)
    if plan.status != PlanStatus.cancelled:
        flow.cancel(session, plan, providers)
    return plan
