import uuid
from typing import Annotated

from fastapi import BackgroundTasks, Path, Request

from luna.auth.dependencies import AdminCaller, PathUserCaller
from luna.db import SessionDep
from luna.experiments import service
from luna.experiments.schemas import (
    SLUG,
    AssignmentRead,
    ExperimentCreate,
    ExperimentRead,
    ExperimentResults,
)
from luna.routing import LunaRouter
from luna.schemas import COMMON_ERRORS, PageDep, error_responses

router = LunaRouter(prefix="/experiments", tags=["experiments"], responses=COMMON_ERRORS)

ExperimentKey = Annotated[str, Path(max_length=64, pattern=SLUG)]
NOT_FOUND = error_responses({404: "Experiment not found"})


def _reload_after_commit(request: Request, tasks: BackgroundTasks) -> None:
    """This process serves the change as soon as it is committed (background tasks run after
    the session dependency's commit); the others within LUNA_EXPERIMENTS_REFRESH_SECONDS."""
    tasks.add_task(request.app.state.experiments.load_or_log)


@router.post(
    "/",
    response_model=ExperimentRead,
    status_code=201,
    responses=error_responses({409: "Key taken / another experiment already runs on the surface"}),
)
def create_experiment(
    body: ExperimentCreate,
    request: Request,
    tasks: BackgroundTasks,
    session: SessionDep,
    caller: AdminCaller,
) -> object:
    """Start an experiment on a surface's recommendations (admin). Each arm's `config`
    overrides that surface's settings: venues `model` (heuristic/learned), `weights`
    {spatial, preference, popularity}, `spatial_decay_per_km`, `preference_per_positive`,
    `preference_dwell_seconds`; people `weights` {social, direct, category}. The first arm is
    the control."""
    settings = request.app.state.settings
    experiment = service.create_experiment(
        session, body, settings.reco, request.app.state.venue_ranker is not None
    )
    _reload_after_commit(request, tasks)
    return experiment


@router.get("/", response_model=list[ExperimentRead])
def list_experiments(session: SessionDep, page: PageDep, caller: AdminCaller) -> object:
    """Every experiment, newest first (admin)."""
    return service.list_experiments(session, page.limit, page.offset)


@router.get("/{key}", response_model=ExperimentRead, responses=NOT_FOUND)
def get_experiment(key: ExperimentKey, session: SessionDep, caller: AdminCaller) -> object:
    return service.get_experiment(session, key)


@router.post("/{key}/stop", response_model=ExperimentRead, responses=NOT_FOUND)
def stop_experiment(
    key: ExperimentKey,
    request: Request,
    tasks: BackgroundTasks,
    session: SessionDep,
    caller: AdminCaller,
) -> object:
    """Stop it: everyone is served the normal settings again (admin)."""
    experiment = service.stop_experiment(session, key)
    _reload_after_commit(request, tasks)
    return experiment


@router.get(
    "/{key}/assignments/{user_id}",
    response_model=AssignmentRead,
    responses=error_responses({404: "Experiment not found / User not found"}),
)
def get_assignment(
    key: ExperimentKey, user_id: uuid.UUID, session: SessionDep, caller: PathUserCaller
) -> object:
    """The person's arm: a hash of the key and the user id over the arms' weights, the same
    in every process ("interleaved" in an interleaving experiment). The user or an admin."""
    return service.assignment(session, key, user_id)


@router.get("/{key}/results", response_model=ExperimentResults, responses=NOT_FOUND)
def get_results(
    key: ExperimentKey, request: Request, session: SessionDep, caller: AdminCaller
) -> object:
    """Per arm: people exposed, exposures, people converted (within attribution_hours of an
    exposure, on something it showed), the rate with its Wilson 95% interval; per treatment
    arm against the control: the difference with its 95% interval, the relative lift and the
    two-proportion z-test's p-value; the sample-ratio-mismatch p-value (admin)."""
    request.app.state.exposure_buffer.flush()  # this process's exposures count too
    return service.read_results(session, key)
