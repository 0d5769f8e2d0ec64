import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AwareDatetime, Field, TypeAdapter, field_validator

from luna.auth.dependencies import CurrentCaller, PathUserCaller
from luna.config import Settings
from luna.db import SessionDep, run_read_only
from luna.dependencies import SettingsDep
from luna.errors import Forbidden, validation_error
from luna.experiments.serving import RunningExperiment
from luna.plans.dependencies import OrganizedPlanId, VisiblePlanId
from luna.reco import experiment_lists, people, service
from luna.reco.constraints import VenueConstraints
from luna.reco.experiment_lists import ArmList
from luna.reco.group import GroupStrategy
from luna.reco.index import VenueIndex
from luna.reco.schemas import (
    GroupVenueRecommendation,
    GroupVenueRequest,
    PersonRecommendation,
    VenueRecommendation,
)
from luna.schemas import COMMON_ERRORS, LunaModel, error_responses
from luna.venues.schemas import Category, PriceLevel, Rating
from luna.vibes.vocabulary import AUTO, check_vibes

router = APIRouter(prefix="/reco", tags=["recommendations"], responses=COMMON_ERRORS)
# Plan-scoped recommendations live here (not in luna.plans) but answer under /plans.
plan_router = APIRouter(prefix="/plans", tags=["recommendations"], responses=COMMON_ERRORS)


async def get_venue_index(request: Request) -> VenueIndex:
    index: VenueIndex = request.app.state.venue_index
    return index


VenueIndexDep = Annotated[VenueIndex, Depends(get_venue_index)]
# The hot routes serialise their results in one call (validated models already).
VENUE_RESULTS = TypeAdapter(list[VenueRecommendation])
PEOPLE_RESULTS = TypeAdapter(list[PersonRecommendation])
# Which experiment and arm served a list (`<key>=<arm>`); absent outside experiments.
EXPERIMENT_HEADER = "Luna-Experiment"


def json_response(adapter: TypeAdapter[Any], results: object) -> Response:
    return Response(adapter.dump_json(results), media_type="application/json")


RecoLimit = Annotated[int, Query(ge=1, le=100, description="How many results (max 100)")]
IncludeSuggested = Annotated[
    bool,
    Query(
        description="Also propose people beyond direct edges (friends of friends by "
        'Adamic-Adar, co-visitors), marked relationship_type "suggested"'
    ),
]


class VenueConstraintsQuery(LunaModel):
    """Optional hard constraints of `GET /reco/venues/{user_id}` and its `limit` (query
    parameters: `Annotated[VenueConstraintsQuery, Query()]`)."""

    max_distance_km: float | None = Field(
        None, gt=0, le=20038, description="Only venues within this distance"
    )
    max_price_level: PriceLevel | None = None
    categories: list[Category] | None = Field(
        None, description="Only these categories (repeat: ?categories=bar&categories=cafe)"
    )
    min_rating: Rating | None = None
    exclude_visited: bool = Field(False, description="Leave out venues the user interacted with")
    near_lat: float | None = Field(
        None, ge=-90, le=90, description="Rank from here instead of home"
    )
    near_lng: float | None = Field(None, ge=-180, le=180)
    at: AwareDatetime | None = Field(
        None,
        description="Rank for this moment: an ISO-8601 time WITH an offset "
        "(2012-12-14T21:00:00-05:00; without one: 422), past or future. The learned ranker "
        "(LUNA_VENUE_MODEL=learned) counts recency from it and fits venues' categories to "
        "its time of week; absent, recency counts from the service's clock (LUNA_CLOCK, else "
        "now) and no time-of-day context is used. The SPEC §3 heuristic ignores it.",
    )
    limit: int = Field(10, ge=1, le=100, description="How many results (max 100)")
    vibe: list[str] | None = Field(
        None,
        description="Rank for a mood (GET /vibes lists them; repeat for several: "
        "?vibe=chill&vibe=cosy), or `auto` (with `at`): the person's usual vibe at that "
        "time. Score = SPEC §3 score · ((1 - w) + w · fit), fit = the mean of the venue's "
        "scores for the asked vibes, w = LUNA_RECO_VIBE_WEIGHT (0.5). Ranked by the "
        "heuristic also with LUNA_VENUE_MODEL=learned. An unknown vibe is a 422 listing the "
        "known ones.",
    )

    _check_vibes = field_validator("vibe")(check_vibes)

    def vibes(self) -> tuple[str, ...]:
        """The moods asked for, once `auto` has its `at` (else a 422 located at vibe)."""
        if self.vibe and AUTO in self.vibe and self.at is None:
            raise validation_error(("query", "vibe"), "vibe=auto needs at (the moment to rank for)")
        return tuple(self.vibe or ())

    def constraints(self) -> VenueConstraints:
        """The constraints, once the rule a schema cannot express alone holds (a 422 in
        FastAPI's form, located at near_lat)."""
        if (self.near_lat is None) != (self.near_lng is None):
            raise validation_error(("query", "near_lat"), "near_lat and near_lng go together")
        near = (
            (self.near_lat, self.near_lng)
            if self.near_lat is not None and self.near_lng is not None
            else None
        )
        return VenueConstraints(
            max_distance_km=self.max_distance_km,
            max_price_level=self.max_price_level,
            categories=frozenset(self.categories) if self.categories is not None else None,
            min_rating=self.min_rating,
            exclude_visited=self.exclude_visited,
            near=near,
        )


@router.get(
    "/venues/{user_id}",
    response_model=list[VenueRecommendation],
    responses=error_responses({404: "User not found"}),
)
async def recommend_venues(
    user_id: uuid.UUID,
    request: Request,
    caller: PathUserCaller,
    query: Annotated[VenueConstraintsQuery, Query()],
) -> Response:
    """Where to go: every venue scored by distance from home, the user's own engagement and
    global popularity (SPEC §3), best first.

    Optional hard constraints filter before the top-k: `max_distance_km`, `max_price_level`,
    `categories`, `min_rating` (a venue without a price or rating fails those), and
    `exclude_visited`; `near_lat` + `near_lng` replace the home as the origin of distances.

    `at` (ISO-8601 with an offset) is the moment to rank for. With the learned ranker
    (LUNA_VENUE_MODEL=learned), recency counts from it and the venue categories' fit to its
    time of week replaces the person's habitual one; with `near_lat` + `near_lng`, the model
    ranks for that moment and place. Without `at`: recency from the service's clock
    (LUNA_CLOCK, else now), no time-of-day context. The SPEC §3 heuristic ignores `at`."""
    # What create_app built, read here rather than through dependencies: this is a hot
    # route, and each dependency costs FastAPI a few percent of it.
    settings: Settings = request.app.state.settings
    index: VenueIndex = request.app.state.venue_index
    ranker = request.app.state.venue_ranker  # LUNA_VENUE_MODEL=learned, else None
    constraints, vibes = query.constraints(), query.vibes()
    experiment = request.app.state.experiments.running("venues")
    if experiment is not None:
        served = await run_read_only(
            request,
            lambda session: experiment_lists.venues(
                session,
                experiment,
                index,
                user_id,
                query.limit,
                constraints,
                ranker,
                query.at,
                vibes,
            ),
        )
        return _in_experiment(request, experiment, user_id, served, VENUE_RESULTS)
    results = await run_read_only(
        request,
        lambda session: service.venue_list(
            session,
            index,
            user_id,
            query.limit,
            settings.reco,
            constraints,
            ranker,
            query.at,
            vibes,
        ),
    )
    return json_response(VENUE_RESULTS, results)


def _in_experiment(
    request: Request,
    experiment: RunningExperiment,
    user_id: uuid.UUID,
    served: ArmList[Any],
    adapter: TypeAdapter[Any],
) -> Response:
    """The list, its exposure buffered (written in batches, off this request) and the
    Luna-Experiment header."""
    request.app.state.exposure_buffer.record(experiment, served.arm, user_id, served.shown)
    response = json_response(adapter, served.results)
    response.headers[EXPERIMENT_HEADER] = experiment.header(served.arm)
    return response


@router.post(
    "/venues/group",
    response_model=list[GroupVenueRecommendation],
    responses=error_responses({404: "User not found"}),
)
def recommend_venues_for_group(
    body: GroupVenueRequest,
    session: SessionDep,
    settings: SettingsDep,
    caller: CurrentCaller,
    index: VenueIndexDep,
) -> object:
    """Where a group should go: each member's own score, aggregated by `strategy`
    (`average`, `least_misery` or `fair`). The caller must be one of the group.

    Members are scored by the SPEC §3 heuristic (also with LUNA_VENUE_MODEL=learned), which
    ignores `at`: it is accepted and validated (an offset is required), and has no effect."""
    if not caller.is_admin and caller.user_id not in body.user_ids:
        raise Forbidden("You can only ask for a group you belong to")
    return service.recommend_for_group(
        session, body.user_ids, body.strategy, body.limit, settings.reco, index
    )


@router.get(
    "/people/{user_id}",
    response_model=list[PersonRecommendation],
    responses=error_responses({404: "User not found / Venue not found"}),
)
async def recommend_people(
    user_id: uuid.UUID,
    request: Request,
    caller: PathUserCaller,
    venue_id: Annotated[uuid.UUID | None, Query(description="Rank for this venue")] = None,
    include_suggested: IncludeSuggested = False,
    limit: RecoLimit = 10,
) -> Response:
    """Who to go with: the user's companions (outgoing edges) scored by edge strength and their
    engagement with the venue and its category (SPEC §3), best first."""
    settings: Settings = request.app.state.settings  # as in recommend_venues
    experiment = request.app.state.experiments.running("people")
    if experiment is not None:
        served = await run_read_only(
            request,
            lambda session: experiment_lists.companions(
                session, experiment, user_id, venue_id, limit, include_suggested
            ),
        )
        return _in_experiment(request, experiment, user_id, served, PEOPLE_RESULTS)
    results = await run_read_only(
        request,
        lambda session: people.people_list(
            session, user_id, venue_id, limit, settings.reco, include_suggested
        ),
    )
    return json_response(PEOPLE_RESULTS, results)


@plan_router.get(
    "/{plan_id}/suggestions",
    response_model=list[GroupVenueRecommendation],
    responses=error_responses({404: "Plan not found"}),
)
def plan_venue_suggestions(
    plan_id: VisiblePlanId,
    session: SessionDep,
    settings: SettingsDep,
    index: VenueIndexDep,
    strategy: Annotated[GroupStrategy, Query()] = GroupStrategy.average,
    limit: RecoLimit = 10,
) -> object:
    """Venues for the plan's people (accepted and invited; not those who declined), for the
    plan's `start_time`. Members are scored by the SPEC §3 heuristic (also with
    LUNA_VENUE_MODEL=learned), which ignores the time: `start_time` changes nothing today."""
    return service.plan_suggestions(session, plan_id, strategy, limit, settings.reco, index)


@plan_router.get(
    "/{plan_id}/invite-suggestions",
    response_model=list[PersonRecommendation],
    responses=error_responses({404: "Plan not found"}),
)
def plan_invite_suggestions(
    plan_id: OrganizedPlanId,
    session: SessionDep,
    settings: SettingsDep,
    include_suggested: IncludeSuggested = False,
    limit: RecoLimit = 10,
) -> object:
    """Who the organizer could invite, ranked for the plan's venue (SPEC §3 people score),
    without the people already on the plan. Organizer only."""
    return people.invite_suggestions(session, plan_id, include_suggested, limit, settings.reco)
