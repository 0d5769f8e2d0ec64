"""Recommendations: load what the formulas need in a fixed number of queries, then score.

Each request runs the same handful of statements whatever the number of venues, interactions
or edges (aggregation happens in SQL; scoring in `heuristic`).
"""

import uuid

from sqlalchemy.orm import Session

from luna.config import RecoSettings
from luna.interactions import repository as interaction_repository
from luna.reco import heuristic
from luna.reco.heuristic import Companion, Engagement, VenueCandidate
from luna.reco.schemas import (
    PeopleFeatures,
    PersonRecommendation,
    VenueFeatures,
    VenueRecommendation,
)
from luna.social import repository as social_repository
from luna.users import service as user_service
from luna.venues import repository as venue_repository
from luna.venues import service as venue_service


def recommend_venues(
    session: Session, user_id: uuid.UUID, limit: int, settings: RecoSettings
) -> list[VenueRecommendation]:
    user = user_service.get_user(session, user_id)
    home = (
        (user.home_lat, user.home_lng)
        if user.home_lat is not None and user.home_lng is not None
        else None
    )
    venues = [VenueCandidate(*row) for row in venue_repository.scoring_rows(session)]
    own = {
        venue_id: Engagement(pos, dwell)
        for venue_id, (pos, dwell) in interaction_repository.engagement_by_venue(
            session, user_id
        ).items()
    }
    popularity = interaction_repository.positive_counts_by_venue(session)
    ranked = heuristic.score_venues(venues, home, own, popularity, settings, limit)
    return [
        VenueRecommendation(
            venue_id=item.venue.venue_id,
            venue_name=item.venue.name,
            category=item.venue.category,
            score=item.score,
            distance_km=item.distance_km,
            features=VenueFeatures(
                spatial=item.spatial, preference=item.preference, popularity=item.popularity
            ),
        )
        for item in ranked
    ]


def recommend_people(
    session: Session,
    user_id: uuid.UUID,
    venue_id: uuid.UUID | None,
    limit: int,
    settings: RecoSettings,
) -> list[PersonRecommendation]:
    user_service.get_user(session, user_id)
    at_venue: dict[uuid.UUID, Engagement] = {}
    in_category: dict[uuid.UUID, Engagement] = {}
    if venue_id is not None:
        venue = venue_service.get_venue(session, venue_id)
        at_venue = _engagements(
            interaction_repository.companion_engagement_at_venue(session, user_id, venue_id)
        )
        if venue.category is not None:
            in_category = _engagements(
                interaction_repository.companion_engagement_in_category(
                    session, user_id, venue.category
                )
            )
    companions = [Companion(*row) for row in social_repository.companions(session, user_id)]
    ranked = heuristic.score_people(companions, at_venue, in_category, settings, limit)
    return [
        PersonRecommendation(
            user_id=item.person.user_id,
            handle=item.person.handle,
            name=item.person.name,
            score=item.score,
            relationship_type=item.person.relationship_type,
            features=PeopleFeatures(social=item.social, direct=item.direct, category=item.category),
        )
        for item in ranked
    ]


def _engagements(raw: dict[uuid.UUID, tuple[int, int]]) -> dict[uuid.UUID, Engagement]:
    return {key: Engagement(pos, dwell) for key, (pos, dwell) in raw.items()}
