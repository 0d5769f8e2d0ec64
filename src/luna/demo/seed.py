"""Build the demo data set from the catalogue and load it in one transaction.

Determinism: every id is a uuid5 of a stable name ("user:<handle>", "venue:<key>",
"plan:<key>", "interaction:<handle>:<n>") under `DEMO_NAMESPACE`, and everything generated
comes from `random.Random(<fixed seed>)` walking the catalogue in its fixed order. Two runs give
the same users, venues, coordinates, interactions (user, venue, type, dwell) and edges.

Time: only *when* differs between runs, and always relative to the seeding day's midnight UTC
(the "anchor"). Each interaction's `occurred_at` is 2 to 68 days before the anchor (a fixed,
seeded offset), on a weekday and at a local hour when people go to that category
(`VISIT_TIMES`: bars at night, parks on weekend afternoons), so it is always in the past and
the venues' learned vibes (luna.vibes, refreshed as the data is loaded) are recognisable;
each plan's `start_time` is the anchor plus
its catalogue offset (2+ days, at an evening or daytime hour in New York), so it is always in
the future. `created_at` is the seeding moment, plus one microsecond per row for users,
venues and plans so lists come out in catalogue order.

Bookings are made by the real booking flow (`luna.agent.flow.book`, mock provider), so their
ids are v4 like any booking's; the mock's `external_ref` derives from the plan id and is stable.

Why the recommendations look sensible: each user engages mostly with their 1-3 favourite
categories, above all with the nearest venues of those categories ("regulars"), and browses
venues weighted by taste x proximity x buzz; social edges are drawn towards neighbours and
people with overlapping favourites.
"""

import itertools
import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from luna.agent import flow
from luna.agent.providers.registry import build_registry
from luna.config import Settings
from luna.demo.catalog import (
    FRIENDSHIPS,
    PLANS,
    USERS,
    VENUES,
    VISIT_TIMES,
    DemoUser,
    DemoVenue,
)
from luna.geo import haversine_km
from luna.learning.database import LOCAL_TIME_ZONE
from luna.models import (
    Interaction,
    InteractionType,
    ParticipantStatus,
    Plan,
    PlanParticipant,
    PlanStatus,
    RelationshipType,
    SocialEdge,
    User,
    Venue,
)
from luna.vibes import service as vibe_service

DEMO_NAMESPACE = uuid.UUID("3b0d6a52-8f0e-4c1b-9d8e-6c2f4a7e1d90")
# One generator per derived table, so editing how one is generated leaves the other as it was.
INTERACTIONS_SEED = 20261125
EDGES_SEED = 20261126
# Any constant: serializes concurrent seeders on PostgreSQL (SQLite's BEGIN IMMEDIATE already does).
_ADVISORY_LOCK_KEY = 0x1A7A_DE70

# Behaviour model (see the module docstring).
REGULAR_VENUES_PER_FAVOURITE = 2
BROWSE_RANGE = (5, 9)
BROWSE_DISTANCE_SCALE_KM = 2.0
NON_FAVOURITE_TASTE = 0.2
OUTGOING_EDGES_RANGE = (3, 5)
MAX_OFFSET_MINUTES = 60 * 24 * 60  # 60 days

DWELL_SECONDS = {
    InteractionType.view: (5, 90),
    InteractionType.interest: (30, 240),
    InteractionType.like: (60, 600),
}
_KINDS = (InteractionType.view, InteractionType.interest, InteractionType.like)
KIND_WEIGHTS_FAVOURITE = (0.3, 0.35, 0.35)
KIND_WEIGHTS_OTHER = (0.8, 0.17, 0.03)


def user_id(handle: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, f"user:{handle}")


def venue_id(key: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, f"venue:{key}")


def plan_id(key: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, f"plan:{key}")


@dataclass(frozen=True, slots=True)
class InteractionSpec:
    id: uuid.UUID
    handle: str
    venue_key: str
    interaction_type: InteractionType
    dwell_time_seconds: int
    minutes_before_anchor: int


@dataclass(frozen=True, slots=True)
class EdgeSpec:
    handle: str
    other_handle: str
    relationship_type: RelationshipType
    strength: float


def distance_km(user: DemoUser, venue: DemoVenue) -> float | None:
    return None if user.home is None else haversine_km(*user.home, venue.lat, venue.lng)


def build_interactions(rng: random.Random | None = None) -> list[InteractionSpec]:
    """Each user's history: visits to their regulars, then some taste- and distance-led browsing."""
    rng = rng or random.Random(INTERACTIONS_SEED)
    specs: list[InteractionSpec] = []
    for user in USERS:
        visits: list[tuple[DemoVenue, InteractionType]] = []
        for venue in _regulars(user):
            visits.append((venue, InteractionType.like))
            for _ in range(rng.randint(0, 2)):
                visits.append((venue, rng.choice((InteractionType.interest, InteractionType.view))))
        weights = [_browse_weight(user, venue) for venue in VENUES]
        for venue in rng.choices(VENUES, weights=weights, k=rng.randint(*BROWSE_RANGE)):
            favourite = venue.category in user.favourites
            kind_weights = KIND_WEIGHTS_FAVOURITE if favourite else KIND_WEIGHTS_OTHER
            visits.append((venue, rng.choices(_KINDS, weights=kind_weights)[0]))
        for n, (venue, kind) in enumerate(visits):
            specs.append(
                InteractionSpec(
                    id=uuid.uuid5(DEMO_NAMESPACE, f"interaction:{user.handle}:{n}"),
                    handle=user.handle,
                    venue_key=venue.key,
                    interaction_type=kind,
                    dwell_time_seconds=rng.randint(*DWELL_SECONDS[kind]),
                    minutes_before_anchor=rng.randint(60, MAX_OFFSET_MINUTES),
                )
            )
    return specs


def _regulars(user: DemoUser) -> Iterator[DemoVenue]:
    """The nearest venues of each favourite category (the best-known ones without a home)."""
    for category in user.favourites:
        in_category = [venue for venue in VENUES if venue.category == category]
        if user.home is None:
            in_category.sort(key=lambda venue: -venue.buzz)
        else:
            in_category.sort(key=lambda venue: distance_km(user, venue) or 0.0)
        yield from in_category[:REGULAR_VENUES_PER_FAVOURITE]


def _browse_weight(user: DemoUser, venue: DemoVenue) -> float:
    taste = 1.0 if venue.category in user.favourites else NON_FAVOURITE_TASTE
    distance = distance_km(user, venue)
    proximity = 1.0 if distance is None else math.exp(-distance / BROWSE_DISTANCE_SCALE_KM) + 0.02
    return taste * proximity * venue.buzz


def build_edges(rng: random.Random | None = None) -> list[EdgeSpec]:
    """The hand-picked friendships, topped up to 3-5 outgoing edges per sociable user."""
    rng = rng or random.Random(EDGES_SEED)
    edges: dict[tuple[str, str], EdgeSpec] = {}
    for friendship in FRIENDSHIPS:
        kind = RelationshipType(friendship.relationship_type)
        pairs = [(friendship.handle, friendship.other_handle)]
        if friendship.reciprocal:
            pairs.append((friendship.other_handle, friendship.handle))
        for a, b in pairs:
            edges[(a, b)] = EdgeSpec(a, b, kind, friendship.strength)
    sociable = [user for user in USERS if user.sociable]
    for user in sociable:
        wanted = rng.randint(*OUTGOING_EDGES_RANGE)
        have = sum(1 for a, _ in edges if a == user.handle)
        candidates = [
            other
            for other in sociable
            if other.handle != user.handle and (user.handle, other.handle) not in edges
        ]
        while have < wanted and candidates:
            affinities = [_affinity(user, other) for other in candidates]
            weights = [affinity * affinity + 0.01 for affinity in affinities]
            index = rng.choices(range(len(candidates)), weights=weights)[0]
            other, affinity = candidates.pop(index), affinities[index]
            noisy = 0.2 + 0.75 * affinity + rng.uniform(-0.08, 0.08)
            strength = round(min(0.95, max(0.05, noisy)), 2)
            edges[(user.handle, other.handle)] = EdgeSpec(
                user.handle, other.handle, _relationship_for(strength), strength
            )
            have += 1
    return list(edges.values())


def _relationship_for(strength: float) -> RelationshipType:
    if strength >= 0.6:
        return RelationshipType.friend
    return RelationshipType.mutual if strength >= 0.4 else RelationshipType.suggested


def _affinity(user: DemoUser, other: DemoUser) -> float:
    """0..1: living close by and sharing favourite categories."""
    if user.home is not None and other.home is not None:
        proximity = math.exp(-haversine_km(*user.home, *other.home) / 3.0)
    else:
        proximity = 0.1
    mine, theirs = set(user.favourites), set(other.favourites)
    taste = len(mine & theirs) / len(mine | theirs)
    return 0.55 * proximity + 0.45 * taste


VENUE_BY_KEY = {venue.key: venue for venue in VENUES}
ANY_TIME = (tuple(range(7)), (12, 18))


def visit_time(anchor: datetime, venue: DemoVenue, minutes_before_anchor: int) -> datetime:
    """When a visit happened: about `minutes_before_anchor` before the anchor, moved back to
    the nearest weekday and set to a local hour when people go to the venue's category
    (VISIT_TIMES). At least one whole day before the anchor's (UTC) day."""
    weekdays, hours = VISIT_TIMES.get(venue.category, ANY_TIME)
    day = (anchor - timedelta(days=2 + minutes_before_anchor // 1440)).date()
    while day.weekday() not in weekdays:
        day -= timedelta(days=1)
    hour = hours[minutes_before_anchor % len(hours)]
    local = datetime.combine(day, time(hour, minutes_before_anchor % 60), tzinfo=LOCAL_TIME_ZONE)
    return local.astimezone(UTC)


def seed_demo(engine: Engine) -> bool:
    """Load the demo data set in one transaction; do nothing (False) if any user exists."""
    with Session(engine) as session:
        if engine.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})
        if session.scalar(select(User.id).limit(1)) is not None:
            return False
        _load(session)
        vibe_service.refresh(session)  # the demo's venues' vibes, from what was just loaded
        session.commit()
    return True


def _load(session: Session) -> None:
    now = datetime.now(UTC)
    anchor = datetime.combine(now.date(), time(0), tzinfo=UTC)
    stamps = (now + timedelta(microseconds=n) for n in itertools.count())

    session.add_all(
        User(
            id=user_id(user.handle),
            handle=user.handle,
            name=user.name,
            age=user.age,
            home_lat=user.home[0] if user.home else None,
            home_lng=user.home[1] if user.home else None,
            created_at=next(stamps),
        )
        for user in USERS
    )
    session.add_all(
        Venue(
            id=venue_id(venue.key),
            name=venue.name,
            description=venue.description,
            category=venue.category,
            lat=venue.lat,
            lng=venue.lng,
            price_level=venue.price_level,
            rating=venue.rating,
            created_at=next(stamps),
        )
        for venue in VENUES
    )
    session.flush()
    session.add_all(
        Interaction(
            id=spec.id,
            user_id=user_id(spec.handle),
            venue_id=venue_id(spec.venue_key),
            interaction_type=spec.interaction_type,
            dwell_time_seconds=spec.dwell_time_seconds,
            occurred_at=visit_time(
                anchor, VENUE_BY_KEY[spec.venue_key], spec.minutes_before_anchor
            ),
        )
        for spec in build_interactions()
    )
    session.add_all(
        SocialEdge(
            user_id=user_id(spec.handle),
            other_user_id=user_id(spec.other_handle),
            relationship_type=spec.relationship_type,
            strength=spec.strength,
        )
        for spec in build_edges()
    )
    session.flush()
    _load_plans(session, anchor, stamps)


def _load_plans(session: Session, anchor: datetime, stamps: Iterator[datetime]) -> None:
    """Plans with their participants; confirmed ones go through the real booking flow."""
    # The demo never reaches a real reservation partner, whatever the environment configures.
    providers = build_registry(Settings(luna_default_provider="mock"))
    for demo_plan in PLANS:
        plan = Plan(
            id=plan_id(demo_plan.key),
            title=demo_plan.title,
            organizer_id=user_id(demo_plan.organizer),
            venue_id=venue_id(demo_plan.venue),
            start_time=anchor + timedelta(days=demo_plan.days_ahead, hours=demo_plan.hour_utc),
            status=PlanStatus.pending,
            created_at=next(stamps),
        )
        plan.participants = [
            PlanParticipant(
                user_id=user_id(demo_plan.organizer),
                status=ParticipantStatus.accepted,
                created_at=plan.created_at,
            ),
            *(
                PlanParticipant(
                    user_id=user_id(handle),
                    status=ParticipantStatus(status),
                    created_at=next(stamps),
                )
                for handle, status in demo_plan.invitees
            ),
        ]
        session.add(plan)
        session.flush()
        if demo_plan.outcome in ("confirm", "cancel"):
            flow.start(session, plan)  # inline, no job: the seed is one batch transaction
            flow.book(session, plan, providers)
        if demo_plan.outcome == "cancel":
            flow.cancel(session, plan, providers)
