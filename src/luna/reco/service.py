"""Venue recommendations, for one person and for a group: what is personal is read in a
fixed number of statements, the catalog and popularity come from the venue index, and the
ranking is `luna.reco.ranking`'s (people: `luna.reco.people`).
"""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from luna.config import RecoSettings
from luna.errors import NotFound, validation_error
from luna.interactions import repository as interaction_repository
from luna.models import ParticipantStatus, User
from luna.plans import repository as plan_repository
from luna.reco import heuristic, ranking, reasons
from luna.reco.constraints import NO_CONSTRAINTS, VenueConstraints
from luna.reco.group import (
    GroupStrategy,
    ScoredVenue,
    VenueCandidate,
    candidates,
    rank_for_group,
    venue_rank_key,
)
from luna.reco.heuristic import Engagement
from luna.reco.index import OwnEngagement, VenueIndex, VenueSnapshot
from luna.reco.schemas import (
    GroupVenueRecommendation,
    MemberScore,
    VenueFeatures,
    VenueRecommendation,
)
from luna.users import repository as user_repository
from luna.vibes import service as vibe_service
from luna.vibes.learner import peak_label


def _home(user: User) -> tuple[float, float] | None:
    if user.home_lat is not None and user.home_lng is not None:
        return (user.home_lat, user.home_lng)
    return None


def venue_list(
    session: Session,
    index: VenueIndex,
    user_id: uuid.UUID,
    limit: int,
    settings: RecoSettings,
    constraints: VenueConstraints,
    ranker: Any,
    at: datetime | None,
    vibes: Sequence[str] = (),
) -> list[VenueRecommendation]:
    """`GET /reco/venues/{user_id}`'s list: by the learned ranker when one is given
    (LUNA_VENUE_MODEL=learned) and no mood is asked, else by the SPEC §3 formula (blended
    with the asked `vibes`)."""
    if ranker is not None and not vibes:
        from luna.reco import learned  # scipy and LightGBM load only with a learned model

        return learned.recommend_venues_learned(
            session, index, user_id, limit, settings, constraints, ranker, at
        )
    return recommend_venues(session, index, user_id, limit, settings, constraints, vibes, at)


def recommend_venues(
    session: Session,
    index: VenueIndex,
    user_id: uuid.UUID,
    limit: int,
    settings: RecoSettings,
    constraints: VenueConstraints = NO_CONSTRAINTS,
    vibes: Sequence[str] = (),
    at: datetime | None = None,
) -> list[VenueRecommendation]:
    """One statement for the person (their home and own engagement, fresh), the catalog,
    popularity and vibe profiles from the process's venue index, pruned top-k. `vibes`:
    the moods asked for (`auto`: the person's usual one at `at`, one more statement)."""
    found = interaction_repository.home_and_engagement(session, user_id)
    if found is None:
        raise NotFound("User not found")
    home, engagement = found
    origin = _origin(constraints, home)
    snapshot = index.snapshot(session)
    own = OwnEngagement.build(snapshot, engagement)
    vibe = vibe_service.vibe_ask(session, snapshot, user_id, vibes, at, settings)
    positions, scores = ranking.best_positions(
        snapshot, origin, own, settings, constraints, limit, vibe
    )
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
                **({} if scores.vibe is None else {"vibe": float(scores.vibe[rank])}),
            ),
            constraints.origin_label,
            own.by_venue.get(snapshot.ids[i], heuristic.NO_ENGAGEMENT),
            int(snapshot.popularity_bucket[i]) or None,
            None if vibe is None else _vibe_reason(snapshot, vibe, i),
        )
        for rank, i in enumerate(positions.tolist())
    ]


def _vibe_reason(snapshot: VenueSnapshot, vibe: ranking.VibeAsk, position: int) -> str:
    """The asked vibe the venue fits best, and when it is busiest."""
    scores = snapshot.vibes.scores[position]
    best = max(range(len(vibe.columns)), key=lambda k: scores[vibe.columns[k]])
    return reasons.vibe_reason(
        vibe.names[best],
        float(scores[vibe.columns[best]]),
        peak_label(int(snapshot.vibes.peak[position])),
    )


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
    vibe_reason: str | None = None,
) -> VenueRecommendation:
    """One venue recommendation with its reasons (model_construct: every value is already of
    its type, and this runs ten times per request on the hottest route); the vibe's reason,
    when a mood was asked for, first."""
    why = reasons.venue_reasons(distance_km, origin_label, own, popularity_bucket)
    return VenueRecommendation.model_construct(
        venue_id=venue_id,
        venue_name=name,
        category=category,
        score=score,
        distance_km=distance_km,
        features=features,
        reasons=why if vibe_reason is None else [vibe_reason, *why],
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
