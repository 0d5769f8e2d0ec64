"""Booking jobs on procrastinate (a PostgreSQL job queue): the task, and how one is queued.

Confirm moves the plan to `booking` and, in the same transaction, records the job twice over:
a row of our outbox table `booking_jobs` (both databases) and, on PostgreSQL, the job row of
the queue itself, inserted on the request's own connection. Nothing is queued for a
confirm that rolls back, and nothing committed is left without its job. With SQLite there is
no queue table: the in-process runner (luna/agent/worker.py) takes the job after the commit,
and the outbox sweep queues again any job a restart lost.

Each job carries two procrastinate locks named after the plan: `lock` (two jobs of one plan
never run at the same time, on any machine) and `queueing_lock` (at most one of them waits
in the queue). The job itself locks the plan row and books only a plan still in `booking`,
so a job run twice books once.

With tracing on (luna.observability.tracing), a job carries the W3C `traceparent` of the
confirm request that queued it, and runs in a span child of that request's. Jobs queued
without one (tracing off, the sweep's redeliveries, jobs from before) run as before.
"""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import procrastinate
from opentelemetry.sdk.trace import TracerProvider
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from luna.agent import flow
from luna.agent import repository as job_repository
from luna.agent.providers.registry import ProviderRegistry
from luna.config import Settings
from luna.models import PlanStatus
from luna.observability import tracing
from luna.plans import repository as plan_repository

logger = logging.getLogger(__name__)

QUEUE = "bookings"
TASK_NAME = "luna.book_plan"
# The PostgreSQL schema holding procrastinate's tables (see the fourth migration).
QUEUE_SCHEMA = "procrastinate"
GONE = "gone"  # the plan was deleted before its job ran


def plan_lock(plan_id: uuid.UUID | str) -> str:
    return f"plan:{plan_id}"


@dataclass(frozen=True)
class JobResources:
    """What a worker lends to the jobs it runs."""

    session_factory: sessionmaker[Session]
    providers: Callable[[], ProviderRegistry]
    on_finished: Callable[[], None] = lambda: None
    tracer_provider: TracerProvider | None = None  # None: tracing off


def create_queue_app(connector: Any) -> procrastinate.App:
    app = procrastinate.App(connector=connector)
    app.task(name=TASK_NAME, queue=QUEUE, pass_context=True)(book_plan)
    return app


def book_plan(
    context: procrastinate.JobContext, plan_id: str, traceparent: str | None = None
) -> str:
    """The job: one transaction, owned here (services only flush)."""
    resources: JobResources = context.additional_context["luna"]
    with (
        tracing.job_span(resources.tracer_provider, traceparent, plan_id=plan_id),
        resources.session_factory() as session,
    ):
        try:
            outcome = run_booking(session, uuid.UUID(plan_id), resources.providers())
            session.commit()
        except BaseException:
            session.rollback()
            raise
    resources.on_finished()
    return outcome


def run_booking(session: Session, plan_id: uuid.UUID, providers: ProviderRegistry) -> str:
    """Book the plan if it still waits for it, and mark its owed jobs done."""
    plan = plan_repository.get_with_participants(session, plan_id, lock=True)
    if plan is None:
        return GONE
    if plan.status == PlanStatus.booking:
        flow.book(session, plan, providers)
    else:  # a second delivery of a job that already ran
        logger.info("booking job for a plan already %s: nothing to do", plan.status)
    job_repository.finish(session, plan_id, outcome=str(plan.status))
    session.flush()
    return str(plan.status)


def job_arguments(plan_id: uuid.UUID, traceparent: str | None = None) -> dict[str, str]:
    """book_plan's arguments; the current trace's traceparent when there is one (tracing on,
    in a request)."""
    arguments = {"plan_id": str(plan_id)}
    traceparent = traceparent or tracing.current_traceparent()
    if traceparent:
        arguments["traceparent"] = traceparent
    return arguments


class BookingQueue:
    """Records booking jobs at confirm (the outbox) and hands them to the job queue."""

    def __init__(self, settings: Settings) -> None:
        self.postgres = not settings.is_sqlite
        self._deferrer: procrastinate.App | None = None
        if self.postgres:
            # Never opened: it only ever inserts on the caller's connection.
            self._deferrer = create_queue_app(procrastinate.SyncPsycopgConnector())
        # Set by a running in-process runner: takes a job after the commit (SQLite).
        # Its arguments: the plan, and the traceparent of the request (None: tracing off).
        self.local_sender: Callable[[uuid.UUID, str | None], None] | None = None

    def record(self, session: Session, plan_id: uuid.UUID) -> None:
        """In the caller's transaction: the outbox row, and on PostgreSQL the queued job."""
        job_repository.add(session, plan_id)
        session.flush()
        if self._deferrer is None:
            return
        try:
            # A savepoint: a queueing-lock clash must not abort the caller's transaction.
            with session.begin_nested():
                connection = session.connection()
                search_path = connection.execute(text("SHOW search_path")).scalar_one()
                set_path = text("SELECT set_config('search_path', :path, true)")
                connection.execute(set_path, {"path": f"{QUEUE_SCHEMA}, {search_path}"})
                self._deferrer.tasks[TASK_NAME].configure(
                    connection=connection.connection.driver_connection,
                    lock=plan_lock(plan_id),
                    queueing_lock=plan_lock(plan_id),
                ).defer(**job_arguments(plan_id))
                connection.execute(set_path, {"path": search_path})
        except AlreadyEnqueued:
            logger.info("a booking job for this plan is already waiting")

    def after_commit(self, plan_id: uuid.UUID) -> None:
        """SQLite: hand the job to the in-process runner (PostgreSQL queued it already)."""
        if not self.postgres and self.local_sender is not None:
            self.local_sender(plan_id, tracing.current_traceparent())
