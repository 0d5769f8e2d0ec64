"""Chained checks for plan routes: the plan exists, and the caller may see or run it."""

import uuid
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from luna.auth.dependencies import Caller, CurrentCaller
from luna.db import SessionDep
from luna.errors import Forbidden, NotFound
from luna.models import Plan
from luna.plans import repository


def ensure_participant(session: Session, caller: Caller, plan_id: uuid.UUID) -> None:
    """Plans and their bookings are visible to the plan's participants (and admins)."""
    if caller.is_admin:
        return
    if (
        caller.user_id is None
        or repository.get_participant(session, plan_id, caller.user_id) is None
    ):
        raise Forbidden("Only the plan's participants can see it")


def plan_visible_to_caller(
    plan_id: uuid.UUID, session: SessionDep, caller: CurrentCaller
) -> uuid.UUID:
    if repository.get(session, plan_id) is None:
        raise NotFound("Plan not found")
    ensure_participant(session, caller, plan_id)
    return plan_id


def plan_organized_by_caller(
    plan_id: uuid.UUID, session: SessionDep, caller: CurrentCaller
) -> uuid.UUID:
    plan: Plan | None = repository.get(session, plan_id)
    if plan is None:
        raise NotFound("Plan not found")
    if not caller.is_admin and plan.organizer_id != caller.user_id:
        raise Forbidden("Only the plan's organizer can do this")
    return plan_id


VisiblePlanId = Annotated[uuid.UUID, Depends(plan_visible_to_caller)]
OrganizedPlanId = Annotated[uuid.UUID, Depends(plan_organized_by_caller)]
