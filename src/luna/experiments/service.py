"""Experiments: creating and stopping them, assignments, and the results with their
statistics (luna.experiments.statistics)."""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from luna.config import RecoSettings
from luna.errors import Conflict, NotFound, validation_error
from luna.experiments import repository, statistics
from luna.experiments.assignment import INTERLEAVED, arm_index, cumulative_shares
from luna.experiments.schemas import (
    ArmResult,
    AssignmentRead,
    Comparison,
    ExperimentCreate,
    ExperimentResults,
    InterleavingResult,
    Mode,
    PeopleArmConfig,
    Status,
    Surface,
    VenueArmConfig,
)
from luna.experiments.serving import PEOPLE_WEIGHTS, VENUE_WEIGHTS, arm_settings
from luna.models import Experiment
from luna.models.base import utcnow
from luna.observability.metrics import EXPERIMENT_CONVERSIONS
from luna.users import repository as user_repository

NOT_FOUND = "Experiment not found"


def create_experiment(
    session: Session, data: ExperimentCreate, base: RecoSettings, learned_loaded: bool
) -> Experiment:
    """A running experiment; each arm's config is checked against its surface (a 422 naming
    the field), and a taken key or a busy surface is a 409."""
    arms = [
        {
            "name": arm.name,
            "weight": arm.weight,
            "config": _checked_config(data, i, base, learned_loaded),
        }
        for i, arm in enumerate(data.arms)
    ]
    if data.mode is Mode.interleave and (data.surface is not Surface.venues or len(arms) != 2):
        raise validation_error(
            ("body", "mode"), "interleave compares two venue rankers: surface venues, two arms"
        )
    if repository.get_by_key(session, data.key) is not None:
        raise Conflict("An experiment with this key already exists")
    running = repository.running_on(session, data.surface)
    if running is not None:
        raise Conflict(f"Experiment {running.key!r} is already running on {data.surface.value}")
    experiment = Experiment(
        key=data.key,
        description=data.description,
        surface=data.surface.value,
        mode=data.mode.value,
        status=Status.running.value,
        running_surface=data.surface.value,
        attribution_hours=data.attribution_hours,
        arms=arms,
        created_at=utcnow(),
    )
    repository.add(session, experiment)
    session.flush()
    return experiment


def _checked_config(
    data: ExperimentCreate, i: int, base: RecoSettings, learned_loaded: bool
) -> dict[str, Any]:
    loc = ("body", "arms", i, "config")
    schema = VenueArmConfig if data.surface is Surface.venues else PeopleArmConfig
    try:
        config = schema.model_validate(data.arms[i].config)
    except ValidationError as exc:
        raise validation_error(
            (*loc, *exc.errors()[0]["loc"]), exc.errors()[0]["msg"], data.arms[i].config
        ) from exc
    overrides = config.model_dump(exclude_none=True)
    if overrides.get("model") == "learned" and not learned_loaded:
        raise validation_error(
            (*loc, "model"),
            "no learned venue model is loaded on this server (LUNA_VENUE_MODEL=learned)",
            "learned",
        )
    settings = arm_settings(base, data.surface.value, overrides)
    names = VENUE_WEIGHTS if data.surface is Surface.venues else PEOPLE_WEIGHTS
    if not any(getattr(settings, name) for name in names.values()):
        raise validation_error(
            (*loc, "weights"), "with the server's other weights, these make every weight zero"
        )
    return overrides


def get_experiment(session: Session, key: str) -> Experiment:
    experiment = repository.get_by_key(session, key)
    if experiment is None:
        raise NotFound(NOT_FOUND)
    return experiment


def list_experiments(session: Session, limit: int, offset: int) -> list[Experiment]:
    return list(repository.list_page(session, limit, offset))


def stop_experiment(session: Session, key: str) -> Experiment:
    """Stopped (stopping a stopped experiment changes nothing)."""
    experiment = get_experiment(session, key)
    if experiment.status == Status.running.value:
        experiment.status = Status.stopped.value
        experiment.running_surface = None
        experiment.stopped_at = utcnow()
        session.flush()
    return experiment


def assignment(session: Session, key: str, user_id: uuid.UUID) -> AssignmentRead:
    experiment = get_experiment(session, key)
    if user_repository.get(session, user_id) is None:
        raise NotFound("User not found")
    if experiment.mode == Mode.interleave.value:
        arm = INTERLEAVED
    else:
        shares = cumulative_shares([a["weight"] for a in experiment.arms])
        arm = experiment.arms[arm_index(experiment.key, user_id, shares)]["name"]
    return AssignmentRead(key=experiment.key, user_id=str(user_id), arm=arm)


# The converted people this process last counted per (experiment, arm): the conversions
# counter goes up by what a results read finds beyond them.
_counted_conversions: dict[tuple[str, str], int] = defaultdict(int)


def read_results(session: Session, key: str) -> ExperimentResults:
    experiment = get_experiment(session, key)
    counts = repository.arm_counts(session, experiment.id)
    if experiment.mode == Mode.interleave.value:
        return _interleaving_results(session, experiment, counts)
    converted = repository.converted_counts(session, experiment)
    arms = []
    for arm in experiment.arms:
        users, exposures = counts.get(arm["name"], (0, 0))
        conv = converted.get(arm["name"], 0)
        _count_conversions(experiment.key, arm["name"], conv)
        arms.append(
            ArmResult(
                name=arm["name"],
                users=users,
                exposures=exposures,
                converted_users=conv,
                conversion_rate=conv / users if users else None,
                ci95=statistics.proportion_ci(conv, users),
            )
        )
    control = arms[0]
    comparisons = []
    for arm in arms[1:]:
        diff = statistics.compare(
            control.converted_users, control.users, arm.converted_users, arm.users
        )
        comparisons.append(
            Comparison(
                arm=arm.name,
                control=control.name,
                abs_diff=diff.abs_diff,
                ci95=diff.ci95,
                relative_lift=diff.relative_lift,
                p_value=diff.p_value,
            )
        )
    return ExperimentResults(
        key=experiment.key,
        status=Status(experiment.status),
        arms=arms,
        comparisons=comparisons,
        srm_p_value=statistics.srm_p_value(
            [arm.users for arm in arms], [arm["weight"] for arm in experiment.arms]
        ),
    )


def _interleaving_results(
    session: Session, experiment: Experiment, counts: dict[str, tuple[int, int]]
) -> ExperimentResults:
    """Everyone saw both arms: per arm, the people who converted on an item it contributed;
    per person, the arm credited with more of their conversions wins."""
    users, exposures = counts.get(INTERLEAVED, (0, 0))
    names = [arm["name"] for arm in experiment.arms]
    by_person: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    for user_id, arm, count in repository.credited_conversions(session, experiment):
        by_person[user_id][arm] = count
    arms = []
    for name in names:
        conv = sum(1 for credits in by_person.values() if credits.get(name, 0) > 0)
        _count_conversions(experiment.key, name, conv)
        arms.append(
            ArmResult(
                name=name,
                users=users,
                exposures=exposures,
                converted_users=conv,
                conversion_rate=conv / users if users else None,
                ci95=statistics.proportion_ci(conv, users),
            )
        )
    wins = {name: 0 for name in names}
    ties = 0
    for credits in by_person.values():
        first, second = credits.get(names[0], 0), credits.get(names[1], 0)
        if first == second:
            ties += 1
        else:
            wins[names[0] if first > second else names[1]] += 1
    decided = wins[names[0]] + wins[names[1]]
    return ExperimentResults(
        key=experiment.key,
        status=Status(experiment.status),
        arms=arms,
        comparisons=[],
        srm_p_value=None,
        interleaving=InterleavingResult(
            wins=wins,
            ties=ties,
            preference_share=wins[names[1]] / decided if decided else None,
            p_value=statistics.sign_test(wins[names[0]], wins[names[1]]),
        ),
    )


def _count_conversions(key: str, arm: str, converted: int) -> None:
    seen = _counted_conversions[(key, arm)]
    if converted > seen:
        EXPERIMENT_CONVERSIONS.labels(key, arm).inc(converted - seen)
        _counted_conversions[(key, arm)] = converted


@dataclass(frozen=True)
class Timeline:
    """The report's curve: per person in order of first exposure, their arm and outcome."""

    arms: list[str]
    people: list[tuple[str, datetime, bool]]


def timeline(session: Session, key: str) -> Timeline:
    experiment = get_experiment(session, key)
    return Timeline(
        [arm["name"] for arm in experiment.arms],
        list(repository.people_timeline(session, experiment)),
    )
