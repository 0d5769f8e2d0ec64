"""The reco lists of a person inside a running experiment (issue 18): their arm's list, or two
venue rankers' lists interleaved by team draft, and what was shown (for the exposure)."""

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from luna.experiments.assignment import INTERLEAVED, team_draft
from luna.experiments.serving import RunningArm, RunningExperiment
from luna.reco import people, service
from luna.reco.constraints import VenueConstraints
from luna.reco.index import VenueIndex
from luna.reco.schemas import PersonRecommendation, VenueRecommendation

T = TypeVar("T")

# The team-draft coin tosses, shared by the hot routes' threads (its C generator runs under
# the GIL).
_INTERLEAVING = random.Random()


@dataclass(frozen=True)
class ArmList(Generic[T]):
    results: list[T]
    arm: str  # the arm's name, or INTERLEAVED
    shown: list[tuple[uuid.UUID, str | None]]  # ids in order, with the arm that put each there


def arm_ranker(arm: RunningArm, server_ranker: Any) -> Any:
    """The arm's venue model: the SPEC §3 formula if it asks for it, else the server's."""
    return None if arm.model == "heuristic" else server_ranker


def venues(
    session: Session,
    experiment: RunningExperiment,
    index: VenueIndex,
    user_id: uuid.UUID,
    limit: int,
    constraints: VenueConstraints,
    server_ranker: Any,
    at: datetime | None,
    vibes: Sequence[str] = (),
) -> ArmList[VenueRecommendation]:
    def ranked(arm: RunningArm) -> list[VenueRecommendation]:
        ranker = arm_ranker(arm, server_ranker)
        return service.venue_list(
            session, index, user_id, limit, arm.settings, constraints, ranker, at, vibes
        )

    if not experiment.interleaved:
        arm = experiment.arm_for(user_id)
        results = ranked(arm)
        return ArmList(results, arm.name, [(r.venue_id, None) for r in results])
    rankings = [ranked(arm) for arm in experiment.arms]
    by_id = {r.venue_id: r for ranking in reversed(rankings) for r in ranking}
    mixed = team_draft(
        [r.venue_id for r in rankings[0]], [r.venue_id for r in rankings[1]], limit, _INTERLEAVING
    )
    return ArmList(
        [by_id[venue_id] for venue_id, _ in mixed],
        INTERLEAVED,
        [(venue_id, experiment.arms[team].name) for venue_id, team in mixed],
    )


def companions(
    session: Session,
    experiment: RunningExperiment,
    user_id: uuid.UUID,
    venue_id: uuid.UUID | None,
    limit: int,
    include_suggested: bool,
) -> ArmList[PersonRecommendation]:
    """The person's arm's people list (people are not interleaved)."""
    arm = experiment.arm_for(user_id)
    results = people.people_list(session, user_id, venue_id, limit, arm.settings, include_suggested)
    return ArmList(results, arm.name, [(r.user_id, None) for r in results])
