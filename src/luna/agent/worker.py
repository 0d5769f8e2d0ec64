"""Running booking jobs: `luna worker`, and the runner inside `luna serve`.

A `BookingRunner` is a procrastinate worker on the `bookings` queue plus the outbox sweep.

- PostgreSQL: the queue lives in the database, so any number of runners (`luna worker`
  processes on any machines, and `luna serve` processes unless LUNA_JOBS_IN_PROCESS=off)
  share it. A job is fetched by exactly one worker (`FOR UPDATE SKIP LOCKED`), jobs of one
  plan never run at the same time (the plan's procrastinate `lock`), and workers send
  heartbeats: a job whose worker went silent (killed, machine lost) is put back in the queue
  by the next sweep of any runner.
- SQLite: the queue is procrastinate's in-memory one, inside `luna serve`; the outbox table
  is what survives a restart, and the sweep at start queues every job still owed.

The sweep, at start and every LUNA_BOOKING_SWEEP_SECONDS: (1) jobs of silent workers go back
to the queue; (2) a job owed in the outbox with no job waiting or running in the queue, and
not handed over for LUNA_BOOKING_REDELIVER_SECONDS, is queued again (its delivery was lost:
the process died between commit and hand-over, the job was deleted or failed on an
unexpected error); (3) `luna_booking_queue_depth` is refreshed. Running a job twice is
harmless: it books only a plan still in `booking`, with the plan id as idempotency key.
"""

import asyncio
import contextlib
import logging
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import procrastinate
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.testing import InMemoryConnector
from procrastinate.worker import Worker
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from luna.agent import repository as job_repository
from luna.agent.providers.registry import ProviderRegistry
from luna.agent.tasks import (
    QUEUE,
    QUEUE_SCHEMA,
    TASK_NAME,
    BookingQueue,
    JobResources,
    create_queue_app,
    job_arguments,
    plan_lock,
)
from luna.config import Settings
from luna.db import READ_ONLY, create_db_engine, create_session_factory
from luna.models.base import utcnow
from luna.observability import tracing
from luna.observability.metrics import BOOKING_QUEUE_DEPTH

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500
LIVE_STATUSES = frozenset({"todo", "doing"})


def queue_connector(settings: Settings, concurrency: int) -> Any:
    if settings.is_sqlite:
        return InMemoryConnector()
    url = make_url(settings.database_url).set(drivername="postgresql")
    return procrastinate.PsycopgConnector(
        conninfo=url.render_as_string(hide_password=False),
        # procrastinate's tables and functions live in their own schema.
        kwargs={"options": f"-c search_path={QUEUE_SCHEMA} -c timezone=UTC"},
        min_size=1,
        max_size=concurrency + 3,  # the jobs' queries, LISTEN and the heartbeat
        # Give up a reconnect attempt after 2 s and start afresh, instead of psycopg_pool's
        # doubling backoff (1, 2, 4, 8 s): jobs resume within a second of a database restart.
        reconnect_timeout=2.0,
    )


class BookingRunner:
    """A worker on the bookings queue and the outbox sweep (or, with `run_jobs=False`, only
    the queue-depth gauge)."""

    def __init__(
        self,
        settings: Settings,
        session_factory: sessionmaker[Session],
        providers: Callable[[], ProviderRegistry],
        *,
        concurrency: int,
        run_jobs: bool = True,
        name: str = "luna-worker",
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        self.settings = settings
        self.concurrency = concurrency
        self.session_factory = session_factory
        self.run_jobs = run_jobs
        self.name = name
        self.queue_app = create_queue_app(queue_connector(settings, concurrency))
        self.resources = JobResources(
            session_factory, providers, self.refresh_queue_depth, tracer_provider
        )
        self.loop: asyncio.AbstractEventLoop | None = None
        self.started = threading.Event()
        self._stop_requested = asyncio.Event()

    async def run(self, *, install_signal_handlers: bool = False) -> None:
        """Until `request_stop` (or, with signal handlers, SIGINT/SIGTERM); running jobs are
        finished first."""
        self.loop = asyncio.get_running_loop()
        self._stop_requested = asyncio.Event()
        if not self.run_jobs:
            self.started.set()
            gauge = asyncio.create_task(self._every_sweep(self._refresh_gauge_async))
            await self._stop_requested.wait()
            gauge.cancel()
            return
        async with self.queue_app.open_async():
            worker = Worker(
                app=self.queue_app,
                queues=[QUEUE],
                name=self.name,
                concurrency=self.concurrency,
                wait=True,
                listen_notify=True,
                # New jobs arrive by LISTEN/NOTIFY; polling catches re-queued ones and
                # those whose notification an outage lost (one cheap query a second).
                fetch_job_polling_interval=min(1.0, self.settings.luna_booking_sweep_seconds),
                delete_jobs="successful",  # booking_jobs keeps the record
                additional_context={"luna": self.resources},
                install_signal_handlers=install_signal_handlers,
                update_heartbeat_interval=self.settings.luna_worker_heartbeat_seconds,
                stalled_worker_timeout=self.settings.luna_worker_stalled_seconds,
            )
            working = asyncio.create_task(worker.run(), name="booking worker")
            sweeper = asyncio.create_task(self._every_sweep(self.sweep), name="outbox sweep")
            stop = asyncio.create_task(self._stop_requested.wait())
            self.started.set()
            try:
                await asyncio.wait({working, stop}, return_when=asyncio.FIRST_COMPLETED)
                worker.stop()  # graceful: lets running jobs finish
                await working
            finally:
                for task in (sweeper, stop):
                    task.cancel()
                await asyncio.gather(sweeper, stop, return_exceptions=True)

    def request_stop(self) -> None:
        """From any thread."""
        if self.loop is not None and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop ended already
                self.loop.call_soon_threadsafe(self._stop_requested.set)

    async def _every_sweep(self, step: Callable[[], Any]) -> None:
        while True:
            try:
                await step()
            except Exception:  # a database hiccup must not end the worker
                logger.exception("booking job sweep failed; trying again later")
            await asyncio.sleep(self.settings.luna_booking_sweep_seconds)

    async def sweep(self) -> list[uuid.UUID]:
        """One sweep; returns the plans whose job was queued again."""
        jobs = self.queue_app.job_manager
        stalled = await jobs.get_stalled_jobs(
            queue=QUEUE, seconds_since_heartbeat=self.settings.luna_worker_stalled_seconds
        )
        for job in stalled:
            try:
                await jobs.retry_job(job)
                logger.warning("booking job %s of a silent worker queued again", job.id)
            except procrastinate.exceptions.ConnectorException:
                pass  # another runner's sweep took it first
        sent_before = utcnow() - timedelta(seconds=self.settings.luna_booking_redeliver_seconds)
        owed = await run_in_threadpool(self._owed_plans, sent_before)
        redelivered = []
        for plan_id in owed:
            queued = await jobs.list_jobs_async(queue=QUEUE, lock=plan_lock(plan_id))
            if not any(job.status in LIVE_STATUSES for job in queued):
                redelivered.append(plan_id)
        if redelivered:
            logger.warning("%d owed booking job(s) queued again", len(redelivered))
            # Counted before the hand-over: the job may finish before we would count it.
            await run_in_threadpool(self._mark_sent, redelivered)
            for plan_id in redelivered:
                await self.defer(plan_id)
        await self._refresh_gauge_async()
        return redelivered

    async def defer(self, plan_id: uuid.UUID, traceparent: str | None = None) -> None:
        try:
            await (
                self.queue_app.tasks[TASK_NAME]
                .configure(lock=plan_lock(plan_id), queueing_lock=plan_lock(plan_id))
                .defer_async(**job_arguments(plan_id, traceparent))
            )
        except AlreadyEnqueued:
            pass  # one is waiting already

    def send_from_thread(self, plan_id: uuid.UUID, traceparent: str | None = None) -> None:
        """Queue a job from another thread (the in-process runner's hand-over), with the
        traceparent of the request that confirmed it."""
        if self.loop is not None and self.loop.is_running():
            asyncio.run_coroutine_threadsafe(self.defer(plan_id, traceparent), self.loop)

    def _owed_plans(self, sent_before: Any) -> list[uuid.UUID]:
        with self._read_session() as session:
            return list(job_repository.owed_plans(session, sent_before, SWEEP_BATCH))

    def _mark_sent(self, plan_ids: list[uuid.UUID]) -> None:
        with self.session_factory() as session, session.begin():
            job_repository.mark_sent(session, plan_ids)

    def refresh_queue_depth(self) -> None:
        with self._read_session() as session:
            BOOKING_QUEUE_DEPTH.set(job_repository.count_owed(session))

    async def _refresh_gauge_async(self) -> None:
        await run_in_threadpool(self.refresh_queue_depth)

    def _read_session(self) -> Session:
        session = self.session_factory()
        session.connection(execution_options={READ_ONLY: True})
        return session


class InProcessRunner:
    """`luna serve`'s runner: a BookingRunner on its own thread and event loop.

    Shared by every server of one app (tests run a TestClient and a real server on the same
    app): the first lifespan starts it, the last one stops it.
    """

    def __init__(self, app: FastAPI, settings: Settings, queue: BookingQueue) -> None:
        self._app = app
        self._settings = settings
        self._queue = queue
        self._users = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._runner: BookingRunner | None = None
        self._engine: Engine | None = None

    def acquire(self) -> None:
        with self._lock:
            self._users += 1
            if self._users == 1:
                self._start()

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0:
                self._stop()

    def _start(self) -> None:
        state = self._app.state
        # Its own connection pool: a burst of requests must not starve the jobs they wait for.
        concurrency = self._settings.luna_jobs_in_process_concurrency
        self._engine = create_db_engine(self._settings, pool_size=concurrency)
        tracer_provider = state.tracer_provider
        if tracer_provider is not None:
            tracing.instrument_engine(self._engine, tracer_provider)
        runner = BookingRunner(
            self._settings,
            create_session_factory(self._engine),
            lambda: state.providers,  # read at run time: tests swap the registry
            concurrency=concurrency,
            run_jobs=self._settings.luna_jobs_in_process,
            name="luna-serve",
            tracer_provider=tracer_provider,
        )
        self._runner = runner
        self._thread = threading.Thread(target=self._main, name="luna-booking-jobs", daemon=True)
        self._thread.start()
        if not runner.started.wait(timeout=30):
            raise RuntimeError("the booking job runner did not start")
        if runner.run_jobs:
            self._queue.local_sender = runner.send_from_thread

    def _main(self) -> None:
        assert self._runner is not None
        try:
            asyncio.run(self._runner.run())
        except Exception:
            logger.exception("the booking job runner stopped on an error")
        finally:
            self._runner.started.set()  # never leave acquire() waiting

    def _stop(self) -> None:
        self._queue.local_sender = None
        runner, thread = self._runner, self._thread
        if runner is None or thread is None:
            return
        runner.request_stop()
        thread.join(timeout=self._settings.luna_shutdown_grace_seconds + 5)
        if self._engine is not None:
            self._engine.dispose()
        self._runner = self._thread = self._engine = None


@contextlib.asynccontextmanager
async def booking_jobs_lifespan(app: FastAPI) -> AsyncIterator[None]:
    runner: InProcessRunner = app.state.booking_runner
    await run_in_threadpool(runner.acquire)
    try:
        yield
    finally:
        await run_in_threadpool(runner.release)


def run_worker(settings: Settings) -> None:
    """`luna worker`: run booking jobs until SIGINT/SIGTERM (finishing the running ones)."""
    from luna.agent.providers.registry import build_registry

    concurrency = settings.luna_worker_concurrency
    engine = create_db_engine(settings, pool_size=concurrency)
    tracer_provider = tracing.tracer_provider_from(settings)  # None unless OTLP is set
    providers = build_registry(settings, tracer_provider)
    if tracer_provider is not None:
        tracing.instrument_engine(engine, tracer_provider)
    runner = BookingRunner(
        settings,
        create_session_factory(engine),
        lambda: providers,
        concurrency=concurrency,
        tracer_provider=tracer_provider,
    )
    try:
        asyncio.run(runner.run(install_signal_handlers=True))
    finally:
        engine.dispose()
        if tracer_provider is not None:
            tracer_provider.shutdown()  # sends the last spans
