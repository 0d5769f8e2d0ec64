"""What the reco routes need of experiments, in memory: the running experiment of a surface
(`ExperimentRegistry`) and a buffer of exposures written in batches (`ExposureBuffer`).

Several server processes: each reads the running experiments at start-up and again at most
every LUNA_EXPERIMENTS_REFRESH_SECONDS, in a background thread (a request never waits for
it, one statement per process per period), and at once after its own creates and stops. An
experiment created or stopped through one process is therefore served by every process
within about that period (1 s by default).
"""

import asyncio
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import anyio
from anyio import to_thread
from sqlalchemy.orm import Session, sessionmaker

from luna.config import RecoSettings
from luna.experiments import repository
from luna.experiments.assignment import arm_index, cumulative_shares
from luna.models import Experiment
from luna.models.base import utcnow, uuid7
from luna.observability.metrics import EXPERIMENT_EXPOSURES

logger = logging.getLogger(__name__)

REFRESH_THREAD = "experiments-refresh"

# Which RecoSettings field each arm config key overrides, per surface.
VENUE_WEIGHTS = {
    "spatial": "venue_weight_spatial",
    "preference": "venue_weight_preference",
    "popularity": "venue_weight_popularity",
}
PEOPLE_WEIGHTS = {
    "social": "people_weight_social",
    "direct": "people_weight_direct",
    "category": "people_weight_category",
}
VENUE_CONSTANTS = ("spatial_decay_per_km", "preference_per_positive", "preference_dwell_seconds")


def arm_settings(base: RecoSettings, surface: str, config: dict[str, Any]) -> RecoSettings:
    """The server's recommendation settings with an arm's overrides (one formula, other
    constants)."""
    names = VENUE_WEIGHTS if surface == "venues" else PEOPLE_WEIGHTS
    update = {names[name]: value for name, value in (config.get("weights") or {}).items()}
    update.update({name: config[name] for name in VENUE_CONSTANTS if name in config})
    return base.model_copy(update=update)


@dataclass(frozen=True)
class RunningArm:
    name: str
    settings: RecoSettings
    # "heuristic" | "learned" (venues), None: the server's own model.
    model: str | None


@dataclass(frozen=True)
class RunningExperiment:
    id: uuid.UUID
    key: str
    surface: str
    mode: str
    attribution: timedelta
    arms: tuple[RunningArm, ...]
    shares: tuple[float, ...]

    @property
    def interleaved(self) -> bool:
        return self.mode == "interleave"

    def arm_for(self, user_id: uuid.UUID) -> RunningArm:
        return self.arms[arm_index(self.key, user_id, self.shares)]

    def header(self, arm: str) -> str:
        """The `Luna-Experiment` header's value (`arm`: a name, or INTERLEAVED)."""
        return f"{self.key}={arm}"

    @classmethod
    def of(cls, experiment: Experiment, base: RecoSettings) -> "RunningExperiment":
        arms = tuple(
            RunningArm(
                arm["name"],
                arm_settings(base, experiment.surface, arm["config"]),
                arm["config"].get("model"),
            )
            for arm in experiment.arms
        )
        return cls(
            experiment.id,
            experiment.key,
            experiment.surface,
            experiment.mode,
            timedelta(hours=experiment.attribution_hours),
            arms,
            cumulative_shares([arm["weight"] for arm in experiment.arms]),
        )


class ExperimentRegistry:
    """The running experiment of each surface, as this process last read them."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        base: RecoSettings,
        refresh_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session_factory = session_factory
        self._base = base
        self.refresh_seconds = refresh_seconds
        self._clock = clock
        self._by_surface: dict[str, RunningExperiment] = {}
        self._loaded_at = clock()
        self._lock = threading.Lock()
        self._refreshing = False

    def running(self, surface: str) -> RunningExperiment | None:
        """The hot routes' lookup: a dictionary read (a stale one starts a background read)."""
        if self.refresh_seconds > 0 and self._clock() - self._loaded_at >= self.refresh_seconds:
            self._refresh_in_background()
        return self._by_surface.get(surface)

    def load(self) -> None:
        """Read the running experiments now (start-up, and after this process's own writes,
        once they are committed)."""
        started = self._clock()
        with self._session_factory() as session:
            running = repository.running_experiments(session)
        self._by_surface = {e.surface: RunningExperiment.of(e, self._base) for e in running}
        self._loaded_at = started

    def load_or_log(self) -> None:
        try:
            self.load()
        except Exception:  # the previous state keeps serving; the next period retries
            logger.exception("reading the running experiments failed")
            self._loaded_at = self._clock()

    def _refresh_in_background(self) -> None:
        with self._lock:
            if self._refreshing:
                return
            self._refreshing = True

        def refresh() -> None:
            try:
                self.load_or_log()
            finally:
                with self._lock:
                    self._refreshing = False

        threading.Thread(target=refresh, name=REFRESH_THREAD, daemon=True).start()


@dataclass(frozen=True)
class Exposure:
    experiment_id: uuid.UUID
    arm: str
    user_id: uuid.UUID
    shown_at: datetime
    expires_at: datetime
    # (item id, the arm that contributed it with interleaving, else None), best first.
    items: Sequence[tuple[uuid.UUID, str | None]]
    id: uuid.UUID = field(default_factory=uuid7)


class ExposureBuffer:
    """Exposures waiting for their batch write: `record` is an append (no I/O on the
    route), `flush` writes everything buffered in one transaction (every
    LUNA_EXPERIMENTS_FLUSH_SECONDS from the app's lifespan, at shutdown, and before results
    are read). A failed write keeps the batch for the next flush; beyond `max_size`
    exposures waiting, the oldest are dropped (and logged)."""

    def __init__(self, session_factory: sessionmaker[Session], max_size: int) -> None:
        self._session_factory = session_factory
        self._pending: deque[Exposure] = deque()
        self._max_size = max_size
        self._flush_lock = threading.Lock()
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._pending)

    def record(
        self,
        experiment: RunningExperiment,
        arm: str,
        user_id: uuid.UUID,
        items: Sequence[tuple[uuid.UUID, str | None]],
    ) -> None:
        shown_at = utcnow()
        self._pending.append(  # deque.append is atomic: no lock on the route
            Exposure(
                experiment.id, arm, user_id, shown_at, shown_at + experiment.attribution, items
            )
        )
        EXPERIMENT_EXPOSURES.labels(experiment.key, arm).inc()
        while len(self._pending) > self._max_size:
            self._pending.popleft()
            self.dropped += 1
            logger.warning("experiment exposure buffer full: oldest exposure dropped")

    def flush(self) -> int:
        """Write what is buffered; answers how many exposures were written."""
        with self._flush_lock:
            batch: list[Exposure] = []
            while self._pending:
                batch.append(self._pending.popleft())
            if not batch:
                return 0
            try:
                with self._session_factory() as session:
                    written = repository.insert_exposures(session, batch)
                    session.commit()
                return written
            except Exception:
                logger.exception("writing %d experiment exposures failed", len(batch))
                self._pending.extendleft(reversed(batch))
                return 0


@asynccontextmanager
async def experiments_lifespan(app: Any) -> AsyncIterator[None]:
    """Read the running experiments at start-up; write the buffered exposures every
    LUNA_EXPERIMENTS_FLUSH_SECONDS and once more at shutdown."""
    registry: ExperimentRegistry = app.state.experiments
    buffer: ExposureBuffer = app.state.exposure_buffer
    interval: float = app.state.settings.luna_experiments_flush_seconds
    await to_thread.run_sync(registry.load_or_log)

    async def flush_forever() -> None:
        while True:
            await anyio.sleep(interval)
            if len(buffer):
                await to_thread.run_sync(buffer.flush)

    task = asyncio.create_task(flush_forever())
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        await to_thread.run_sync(buffer.flush)
