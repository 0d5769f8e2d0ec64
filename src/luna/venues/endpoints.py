import uuid
from typing import Annotated

from fastapi import Query

from luna.auth.dependencies import CurrentCaller
from luna.db import SessionDep
from luna.errors import validation_error
from luna.routing import LunaRouter
from luna.schemas import PageDep, error_responses
from luna.venues import service
from luna.venues.schemas import VenueCreate, VenueRead, VenueUpdate

router = LunaRouter(prefix="/venues", tags=["venues"])


@router.post(
    "/",
    response_model=VenueRead,
    status_code=201,
    responses=error_responses({409: "Venue id already exists"}),
)
def create_venue(body: VenueCreate, session: SessionDep, caller: CurrentCaller) -> object:
    return service.create_venue(session, body)


@router.get("/", response_model=list[VenueRead])
def list_venues(
    session: SessionDep,
    page: PageDep,
    caller: CurrentCaller,
    category: Annotated[str | None, Query(max_length=64, description="Only this category")] = None,
    near_lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    near_lng: Annotated[float | None, Query(ge=-180, le=180)] = None,
    radius_km: Annotated[float | None, Query(gt=0, le=20038, description="Search radius")] = None,
) -> object:
    """List venues; with `near_lat` + `near_lng` + `radius_km`, only those within the radius,
    nearest first."""
    category = category.strip().lower() if category is not None else None
    near = (near_lat, near_lng, radius_km)
    if all(v is None for v in near):
        return service.list_venues(session, page, category)
    if any(v is None for v in near):
        raise validation_error(
            ("query", "radius_km"), "near_lat, near_lng and radius_km must be given together"
        )
    return service.search_near(session, page, category, near_lat, near_lng, radius_km)  # type: ignore[arg-type]


@router.get(
    "/{venue_id}", response_model=VenueRead, responses=error_responses({404: "Venue not found"})
)
def get_venue(venue_id: uuid.UUID, session: SessionDep, caller: CurrentCaller) -> object:
    return service.get_venue(session, venue_id)


@router.patch(
    "/{venue_id}", response_model=VenueRead, responses=error_responses({404: "Venue not found"})
)
def update_venue(
    venue_id: uuid.UUID, body: VenueUpdate, session: SessionDep, caller: CurrentCaller
) -> object:
    return service.update_venue(session, venue_id, body)
