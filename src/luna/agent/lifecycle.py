"""The plan lifecycle as a state machine, and its timeline.

    pending ──confirm──▶ booking ──provider says yes──▶ confirmed
       │                    └──provider says no──▶ booking_failed ──confirm again──▶ booking
       └──────────────── cancel ◀── confirmed | booking_failed ──▶ cancelled

Every transition and every provider call is written to `plan_events`, in the same
transaction as the change it describes.
"""

from sqlalchemy.orm import Session

from luna.errors import Conflict
from luna.models import Plan, PlanEvent, PlanEventKind, PlanStatus
from luna.plans import repository as plan_repository

ALLOWED: dict[PlanStatus | None, frozenset[PlanStatus]] = {
    None: frozenset({PlanStatus.pending}),  # creation
    PlanStatus.pending: frozenset({PlanStatus.booking, PlanStatus.cancelled}),
    PlanStatus.booking: frozenset({PlanStatus.confirmed, PlanStatus.booking_failed}),
    PlanStatus.booking_failed: frozenset({PlanStatus.booking, PlanStatus.cancelled}),
    PlanStatus.confirmed: frozenset({PlanStatus.cancelled}),
    PlanStatus.cancelled: frozenset(),
}


def move(session: Session, plan: Plan, to: PlanStatus, detail: str | None = None) -> None:
    """Change the plan's status, or 409 naming the current one."""
    current = plan.status
    if to not in ALLOWED[current]:
        raise Conflict(f"Plan is {current}: cannot go to {to}")
    plan.status = to
    record(
        session, plan, PlanEventKind.transition, outcome="ok", detail=detail, from_status=current
    )


def record_creation(session: Session, plan: Plan) -> None:
    record(session, plan, PlanEventKind.transition, outcome="ok", detail="plan created")


def record(
    session: Session,
    plan: Plan,
    kind: PlanEventKind,
    *,
    outcome: str,
    detail: str | None = None,
    from_status: PlanStatus | None = None,
) -> None:
    plan_repository.add(
        session,
        PlanEvent(
            plan_id=plan.id,
            kind=kind,
            from_status=from_status,
            to_status=plan.status if kind == PlanEventKind.transition else None,
            outcome=outcome,
            detail=detail,
        ),
    )
