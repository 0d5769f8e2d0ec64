"""Recommendations: load what the formulas need in a fixed number of queries, then score.

Each request runs the same handful of statements whatever the number of venues, interactions,
edges or group members (aggregation happens in SQL; scoring in `heuristic`, `ranking`,
`group`, `social` and `reasons`).
"""

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy.orm import Session

from luna.config import RecoSettings
from luna.db_reader import Reader
from luna.errors import NotFound, validation_error
from luna.interactions import repository as interaction_repository
from luna.models import ParticipantStatus, User
from luna.plans import repository as plan_repository
from luna.reco import heuristic, ranking, reasons
from luna.reco import social as social_scoring
from luna.reco.constraints import NO_CONSTRAINTS, VenueConstraints
from luna.reco.group import (
    GroupStrategy,
    ScoredVenue,
    VenueCandidate,
    candidates,
    rank_for_group,
    venue_rank_key,
)
from luna.reco.heuristic import Companion, Engagement, ScoredPerson
from luna.reco.index import OwnEngagement, VenueIndex, VenueSnapshot
from luna.reco.schemas import (
    GroupVenueRecommendation,
    MemberScore,
    PeopleFeatures,
    PersonRecommendation,
    VenueFeatures,
    VenueRecommendation,
)
from luna.social import repository as social_repository
from luna.users import repository as user_repository


def _home(user: User) -> tuple[float, float] | None:
    if user.home_lat is not None and user.home_lng is not None:
        return (user.home_lat, user.home_lng)
    return None


async def recommend_venues(
    reader: Reader,
    index: VenueIndex,
    user_id: uuid.UUID,
    limit: int,
    settings: RecoSettings,
    constraints: VenueConstraints = NO_CONSTRAINTS,
) -> list[VenueRecommendation]:
    """One statement for the person (their home and own engagement, fresh), the catalog and
    popularity from the process's venue index, pruned top-k."""
    found = await interaction_repository.home_and_engagement(reader, user_id)
    if found is None:
        raise NotFound("User not found")
    home, engagement = found
    origin = _origin(constraints, home)
    snapshot = await index.current()
    own = OwnEngagement.build(snapshot, engagement)
    positions, scores = ranking.best_positions(snapshot, origin, own, settings, constraints, limit)
    return [
        venue_result(
            snapshot.ids[i],
            snapshot.names[i],
            snapshot.categories[i],
            float(scores.score[rank]),
            scores.distance_at(rank),
            VenueFeatures.model_construct(
                spatial=float(scores.spatial[rank]),
                preference=float(scores.preference[rank]),
                popularity=float(scores.popularity[rank]),
            ),
            constraints.origin_label,
            own.by_venue.get(snapshot.ids[i], heuristic.NO_ENGAGEMENT),
            int(snapshot.popularity_bucket[i]) or None,
        )
        for rank, i in enumerate(positions.tolist())
    ]


def venue_result(
    venue_id: uuid.UUID,
    name: str,
    category: str | None,
    score: float,
    distance_km: float | None,
    features: VenueFeatures,
    origin_label: str,
    own: Engagement,
    popularity_bucket: int | None,
) -> VenueRecommendation:
    """One venue recommendation with its reasons (model_construct: every value is already of
    its type, and this runs ten times per request on the hottest route)."""
    return VenueRecommendation.model_construct(
        venue_id=venue_id,
        venue_name=name,
        category=category,
        score=score,
        distance_km=distance_km,
        features=features,
        reasons=reasons.venue_reasons(distance_km, origin_label, own, popularity_bucket),
    )


def _origin(
    constraints: VenueConstraints, home: tuple[float, float] | None
) -> tuple[float, float] | None:
    origin = constraints.origin(home)
    if constraints.max_distance_km is not None and origin is None:
        raise validation_error(
            ("query", "max_distance_km"),
            "max_distance_km needs an origin: the user has no home, give near_lat and near_lng",
        )
    return origin


def recommend_for_group(
    session: Session,
    user_ids: Sequence[uuid.UUID],
    strategy: GroupStrategy,
    limit: int,
    settings: RecoSettings,
    index: VenueIndex,
) -> list[GroupVenueRecommendation]:
    """Two queries whatever the group's size: members, the members' engagement (one `IN`);
    the catalog and popularity come from the venue index."""
    members = list(dict.fromkeys(user_ids))
    users = {u.id: u for u in user_repository.get_many(session, set(members))}
    if len(users) != len(members):
        raise NotFound("User not found")
    return _group_ranking(session, members, users, strategy, limit, settings, index)


def plan_suggestions(
    session: Session,
    plan_id: uuid.UUID,
    strategy: GroupStrategy,
    limit: int,
    settings: RecoSettings,
    index: VenueIndex,
) -> list[GroupVenueRecommendation]:
    """Venues for the plan's accepted and invited people (not those who declined)."""
    plan = plan_repository.get_with_participants(session, plan_id)
    if plan is None:
        raise NotFound("Plan not found")
    participants = sorted(plan.participants, key=lambda p: (p.created_at, p.user_id))
    members = [p.user_id for p in participants if p.status != ParticipantStatus.declined]
    if not members:
        return []
    users = {u.id: u for u in user_repository.get_many(session, set(members))}
    return _group_ranking(session, members, users, strategy, limit, settings, index)


def _group_ranking(
    session: Session,
    members: list[uuid.UUID],
    users: dict[uuid.UUID, User],
    strategy: GroupStrategy,
    limit: int,
    settings: RecoSettings,
    index: VenueIndex,
) -> list[GroupVenueRecommendation]:
    engagement = interaction_repository.engagement_by_user_and_venue(session, set(members))
    own: dict[uuid.UUID, dict[uuid.UUID, Engagement]] = {m: {} for m in members}
    for (uid, vid), (pos, dwell) in engagement.items():
        own[uid][vid] = Engagement(pos, dwell)
    homes = [_home(users[m]) for m in members]
    scores, buckets = _group_scores(index.snapshot(session), members, homes, own, settings, limit)
    favourite = {
        m: min(items, key=venue_rank_key).venue.venue_id for m, items in scores.items() if items
    }
    picks = rank_for_group(candidates(scores, members), strategy, limit)
    results = []
    for pick in picks:
        c = pick.candidate
        vid = c.venue.venue_id
        results.append(
            GroupVenueRecommendation(
                venue_id=vid,
                venue_name=c.venue.name,
                category=c.venue.category,
                group_score=pick.group_score,
                longest_trip_km=c.longest_trip_km,
                members=[
                    MemberScore(user_id=m, score=s.score, distance_km=s.distance_km)
                    for m, s in c.members
                ],
                reasons=reasons.group_reasons(
                    c.longest_trip_km,
                    [
                        (users[m].handle, own[m].get(vid, heuristic.NO_ENGAGEMENT))
                        for m, _ in c.members
                    ],
                    [users[m].handle for m, _ in c.members if favourite.get(m) == vid],
                    c.minimum,
                    buckets.get(vid),
                ),
            )
        )
    return results


def _group_scores(
    snapshot: VenueSnapshot,
    members: list[uuid.UUID],
    homes: list[tuple[float, float] | None],
    own: dict[uuid.UUID, dict[uuid.UUID, Engagement]],
    settings: RecoSettings,
    limit: int,
) -> tuple[dict[uuid.UUID, list[ScoredVenue]], dict[uuid.UUID, int]]:
    """Every member's scores in vector form, then ScoredVenue objects only for the few
    hundred venues that can appear in any strategy's answer (`ranking.group_positions`)."""
    member_scores = [
        ranking.snapshot_scores(
            snapshot,
            home,
            OwnEngagement.build(
                snapshot, [(v, e.positive_count, e.dwell_seconds) for v, e in own[m].items()]
            ),
            settings,
        )
        for m, home in zip(members, homes, strict=True)
    ]
    positions = ranking.group_positions(member_scores, limit).tolist()
    venues = {
        i: VenueCandidate(snapshot.ids[i], snapshot.names[i], snapshot.categories[i])
        for i in positions
    }
    scores = {
        m: [ScoredVenue(venues[i], float(ms.score[i]), ms.distance_at(i)) for i in positions]
        for m, ms in zip(members, member_scores, strict=True)
    }
    buckets = {
        snapshot.ids[i]: int(snapshot.popularity_bucket[i])
        for i in positions
        if snapshot.popularity_bucket[i]
    }
    return scores, buckets


async def recommend_people(
    reader: Reader,
    user_id: uuid.UUID,
    venue_id: uuid.UUID | None,
    limit: int,
    settings: RecoSettings,
) -> list[PersonRecommendation]:
    """Direct companions only, on the hot-read `Reader`: one statement (who exists, then the
    companions with their engagement at the venue and over its category)."""
    found = await social_repository.read_people_for_venue(reader, user_id, venue_id)
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
