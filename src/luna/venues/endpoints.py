import uuid
from typing import Annotated

from fastapi import Depends, Query

from luna.auth.dependencies import AdminCaller, CurrentCaller
from luna.db import SessionDep
from luna.errors import validation_error
from luna.routing import LunaRouter
from luna.schemas import COMMON_ERRORS, PageDep, error_responses
from luna.venues import service
from luna.venues.schemas import (
    CATEGORY_REGEX,
    NearPoint,
    VenueCreate,
    VenueDetail,
    VenueQuery,
    VenueRead,
    VenueUpdate,
)

router = LunaRouter(prefix="/venues", tags=["venues"], responses=COMMON_ERRORS)


async def venue_query(
    category: Annotated[str | None, Query(max_length=64, description="Only this category")] = None,
    near_lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    near_lng: Annotated[float | None, Query(ge=-180, le=180)] = None,
    radius_km: Annotated[float | None, Query(gt=0, le=20038, description="Search radius")] = None,
) -> VenueQuery:
    category = category.strip().lower() if category is not None else None
    if category is not None and not CATEGORY_REGEX.fullmatch(category):
        # Same vocabulary as the venues' own field (also keeps NUL away from PostgreSQL).
        raise validation_error(
            ("query", "category"), "category must be a word of letters, digits and hyphens"
        )
    near = (near_lat, near_lng, radius_km)
    if near_lat is not None and near_lng is not None and radius_km is not None:
        return VenueQuery(category, NearPoint(near_lat, near_lng, radius_km))
    if any(v is not None for v in near):
        raise validation_error(
            ("query", "radius_km"), "near_lat, near_lng and radius_km must be given together"
        )
    return VenueQuery(category, None)


@router.post(
    "/",
    response_model=VenueRead,
    status_code=201,
    responses=error_responses({409: "Venue id already exists"}),
)
def create_venue(body: VenueCreate, session: SessionDep, caller: AdminCaller) -> object:
    """Add a venue (admins only)."""
    return service.create_venue(session, body)


@router.get("/", response_model=list[VenueRead])
def list_venues(
    session: SessionDep,
    page: PageDep,
    query: Annotated[VenueQuery, Depends(venue_query)],
    caller: CurrentCaller,
) -> object:
    """List venues; with `near_lat` + `near_lng` + `radius_km`, only those within the radius,
    nearest first."""
    return service.list_venues(session, page, query)


@router.get(
    "/{venue_id}", response_model=VenueDetail, responses=error_responses({404: "Venue not found"})
)
def get_venue(venue_id: uuid.UUID, session: SessionDep, caller: CurrentCaller) -> object:
    """A venue, with its learned vibe profile (`vibes`)."""
    return service.venue_detail(session, venue_id)


@router.patch(
    "/{venue_id}", response_model=VenueRead, responses=error_responses({404: "Venue not found"})
)
def update_venue(
    venue_id: uuid.UUID, body: VenueUpdate, session: SessionDep, caller: AdminCaller
) -> object:
    """Change a venue (admins only)."""
    return service.update_venue(session, venue_id, body)
