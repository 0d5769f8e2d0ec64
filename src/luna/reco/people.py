"""People recommendations: a person's companions (and, if asked, suggested people) ranked
by the SPEC §3 people score (`heuristic.score_people`), in a fixed number of statements
whatever the number of edges or interactions.
"""

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy.orm import Session

from luna.config import RecoSettings
from luna.errors import NotFound
from luna.interactions import repository as interaction_repository
from luna.plans import repository as plan_repository
from luna.reco import heuristic, reasons
from luna.reco import social as social_scoring
from luna.reco.heuristic import Companion, Engagement, ScoredPerson
from luna.reco.schemas import PeopleFeatures, PersonRecommendation
from luna.social import repository as social_repository
from luna.users import repository as user_repository


def people_list(
    session: Session,
    user_id: uuid.UUID,
    venue_id: uuid.UUID | None,
    limit: int,
    settings: RecoSettings,
    include_suggested: bool,
) -> list[PersonRecommendation]:
    """`GET /reco/people/{user_id}`'s list: direct companions in one statement, or with
    suggestions beyond them (more statements)."""
    if include_suggested:
        return recommend_people_in_session(
            session, user_id, venue_id, limit, settings, include_suggested=True
        )
    return recommend_people(session, user_id, venue_id, limit, settings)


def recommend_people(
    session: Session,
    user_id: uuid.UUID,
    venue_id: uuid.UUID | None,
    limit: int,
    settings: RecoSettings,
) -> list[PersonRecommendation]:
    """Direct companions only, in one statement (who exists, then the companions with their
    engagement at the venue and over its category)."""
    found = social_repository.read_people_for_venue(session, user_id, venue_id)
    if not found.user_exists:
        raise NotFound("User not found")
    if venue_id is not None and not found.venue_exists:
        raise NotFound("Venue not found")
    companions, at_venue, in_category = _companions_from(found.companions, found.category)
    return _rank_people(companions, at_venue, in_category, found.category, limit, settings)


def recommend_people_in_session(
    session: Session,
    user_id: uuid.UUID,
    venue_id: uuid.UUID | None,
    limit: int,
    settings: RecoSettings,
    include_suggested: bool = False,
    exclude: frozenset[uuid.UUID] = frozenset(),
) -> list[PersonRecommendation]:
    """People ranked on the request's session: also people beyond direct edges
    (`include_suggested`), or without some people (`exclude`: a plan's invitations)."""
    user_exists, venue_exists, category = interaction_repository.user_and_venue(
        session, user_id, venue_id
    )
    if not user_exists:
        raise NotFound("User not found")
    at_venue: dict[uuid.UUID, Engagement] = {}
    in_category: dict[uuid.UUID, Engagement] = {}
    if venue_id is None:
        companions = [Companion(*row) for row in social_repository.companions(session, user_id)]
    else:
        if not venue_exists:
            raise NotFound("Venue not found")
        companions, at_venue, in_category = _companions_from(
            social_repository.companions_with_engagement(session, user_id, venue_id, category),
            category,
        )
    found: dict[uuid.UUID, social_scoring.Suggestion] = {}
    if include_suggested:
        found, suggested = _suggested_people(session, user_id, companions, exclude)
        companions += suggested
        ids = {person.user_id for person in suggested}
        if venue_id is not None:
            at_venue |= _engagements(
                interaction_repository.engagement_at_venue_of_users(session, ids, venue_id)
            )
            if category is not None:
                in_category |= _engagements(
                    interaction_repository.engagement_in_category_of_users(session, ids, category)
                )
    return _rank_people(
        companions, at_venue, in_category, category, limit, settings, exclude, found
    )


def _companions_from(
    rows: Sequence[social_repository.CompanionEngagement], category: str | None
) -> tuple[list[Companion], dict[uuid.UUID, Engagement], dict[uuid.UUID, Engagement]]:
    """Companions and their engagement at the venue and over its category (only those with
    some), from `companions_with_engagement` rows."""
    companions = [Companion(*person) for person, _, _ in rows]
    at_venue = {person[0]: Engagement(*at) for person, at, _ in rows if any(at)}
    in_category: dict[uuid.UUID, Engagement] = {}
    if category is not None:
        in_category = {person[0]: Engagement(*c) for person, _, c in rows if any(c)}
    return companions, at_venue, in_category


def _rank_people(
    companions: list[Companion],
    at_venue: dict[uuid.UUID, Engagement],
    in_category: dict[uuid.UUID, Engagement],
    category: str | None,
    limit: int,
    settings: RecoSettings,
    exclude: frozenset[uuid.UUID] = frozenset(),
    found: dict[uuid.UUID, social_scoring.Suggestion] | None = None,
) -> list[PersonRecommendation]:
    ranked = heuristic.score_people(companions, at_venue, in_category, settings, limit, exclude)
    return [_person(item, found or {}, at_venue, in_category, category) for item in ranked]


def invite_suggestions(
    session: Session,
    plan_id: uuid.UUID,
    include_suggested: bool,
    limit: int,
    settings: RecoSettings,
) -> list[PersonRecommendation]:
    """The organizer's companions (and, if asked, suggested people) ranked for the plan's
    venue, without anyone already on the plan (whatever their answer)."""
    plan = plan_repository.get_with_participants(session, plan_id)
    if plan is None:
        raise NotFound("Plan not found")
    if plan.organizer_id is None:  # the organizer deleted their account
        return []
    on_plan = frozenset(p.user_id for p in plan.participants) | {plan.organizer_id}
    return recommend_people_in_session(
        session, plan.organizer_id, plan.venue_id, limit, settings, include_suggested, on_plan
    )


def _suggested_people(
    session: Session,
    user_id: uuid.UUID,
    companions: Iterable[Companion],
    exclude: frozenset[uuid.UUID],
) -> tuple[dict[uuid.UUID, social_scoring.Suggestion], list[Companion]]:
    outgoing = {person.user_id for person in companions}
    found = social_scoring.suggestions(
        user_id,
        social_repository.two_hop_edges(session, user_id),
        outgoing,
        interaction_repository.shared_venue_counts(session, user_id),
    )
    found = {uid: s for uid, s in found.items() if uid not in exclude}
    people = user_repository.get_many(session, set(found))
    suggested = [Companion(u.id, u.handle, u.name, "suggested", found[u.id].social) for u in people]
    return found, suggested


def _person(
    item: ScoredPerson,
    found: dict[uuid.UUID, social_scoring.Suggestion],
    at_venue: dict[uuid.UUID, Engagement],
    in_category: dict[uuid.UUID, Engagement],
    category: str | None,
) -> PersonRecommendation:
    person = item.person
    suggestion = found.get(person.user_id) if person.relationship_type == "suggested" else None
    return PersonRecommendation(
        user_id=person.user_id,
        handle=person.handle,
        name=person.name,
        score=item.score,
        relationship_type=person.relationship_type,
        features=PeopleFeatures(social=item.social, direct=item.direct, category=item.category),
        reasons=reasons.person_reasons(
            person.relationship_type,
            person.strength,
            suggestion.common_friends if suggestion else 0,
            suggestion.shared_venues if suggestion else 0,
            at_venue.get(person.user_id, heuristic.NO_ENGAGEMENT),
            in_category.get(person.user_id, heuristic.NO_ENGAGEMENT),
            category,
        ),
    )


def _engagements(raw: dict[uuid.UUID, tuple[int, int]]) -> dict[uuid.UUID, Engagement]:
    return {key: Engagement(pos, dwell) for key, (pos, dwell) in raw.items()}
