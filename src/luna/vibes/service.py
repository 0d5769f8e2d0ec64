"""Vibes: the vocabulary, the offline refresh of every venue's profile, a venue's and a
person's profile, and the moods a recommendation asks for.

Serving reads venue profiles from the venue index (`VenueSnapshot.vibes`); only a venue's
own page (`GET /venues/{id}`) reads its row, and `vibe=auto` a person's visits.
"""

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy.orm import Session

from luna.config import RecoSettings
from luna.errors import NotFound, validation_error
from luna.users import repository as user_repository
from luna.venues import repository as venue_repository
from luna.vibes import repository
from luna.vibes.learner import NO_PEAK, PRIOR_VISITS, Behaviour, Profiles, learn
from luna.vibes.schemas import UserVibes, VibeRead
from luna.vibes.vocabulary import (
    AUTO,
    FORMAT_VERSION,
    VIBE_INDEX,
    VIBE_NAMES,
    VIBES,
    prior_matrix,
    unknown_vibe_message,
)

if TYPE_CHECKING:
    from luna.reco.index import VenueSnapshot
    from luna.reco.ranking import VibeAsk

DAY = 86_400
# A person's vibes: visits weigh 0.5 ** (age / half-life), as recency-weighted frequency.
USER_HALF_LIFE_DAYS = 120.0


def vocabulary() -> list[VibeRead]:
    return [VibeRead(name=v.name, description=v.description) for v in VIBES]


def as_dict(scores: Sequence[float]) -> dict[str, float]:
    return {name: round(float(score), 4) for name, score in zip(VIBE_NAMES, scores, strict=True)}


def venue_vibes(session: Session, venue_id: uuid.UUID) -> dict[str, float] | None:
    """A venue's profile in the newest stored version (None: not profiled yet)."""
    found = repository.venue_profile(session, venue_id, FORMAT_VERSION, VIBE_NAMES)
    return None if found is None else as_dict(found[0])


def _local(utc: np.ndarray) -> np.ndarray:
    from luna.reco.learned_context import local_seconds  # Luna's city's wall clock

    return local_seconds(utc.astype(np.int64))


def _epoch(when: datetime) -> int:
    return int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp())


def person_profile(
    session: Session,
    snapshot: "VenueSnapshot",
    user_id: uuid.UUID,
    now: int,
    at_local: int | None = None,
) -> tuple[np.ndarray, int]:
    """A person's vibes: the mean profile of the venues of their positive interactions,
    each weighing 0.5 ** (age / USER_HALF_LIFE_DAYS) with age counted from `now`; with
    `at_local` (a wall-clock time), only the visits in its time bin (four-hour block,
    weekday / weekend: luna.learning.features.time_bin), if there are any. Also how many
    visits it was learned from."""
    from luna.learning.features import recency_weights, time_bin

    visits = repository.person_visits(session, user_id)
    known = [(snapshot.position[v], _epoch(at)) for v, at in visits if v in snapshot.position]
    if not known:
        return np.zeros(len(VIBE_NAMES)), 0
    positions = np.array([p for p, _ in known], dtype=np.int64)
    utc = np.array([t for _, t in known], dtype=np.int64)
    if at_local is not None:
        same = time_bin(_local(utc)) == time_bin(np.array([at_local], dtype=np.int64))[0]
        if same.any():
            positions, utc = positions[same], utc[same]
    weight = recency_weights(np.maximum(now - utc, 0) / DAY, USER_HALF_LIFE_DAYS)
    profile = (snapshot.vibes.scores[positions] * weight[:, None]).sum(axis=0) / weight.sum()
    return profile, len(positions)


def user_vibes(
    session: Session, snapshot: "VenueSnapshot", user_id: uuid.UUID, now: int
) -> UserVibes:
    if user_repository.get(session, user_id) is None:
        raise NotFound("User not found")
    profile, visits = person_profile(session, snapshot, user_id, now)
    ranked = sorted(VIBE_NAMES, key=lambda name: -profile[VIBE_INDEX[name]])
    return UserVibes(
        user_id=user_id,
        vibes=as_dict(profile) if visits else {},
        top=ranked[:3] if visits else [],
        visits=visits,
        half_life_days=USER_HALF_LIFE_DAYS,
        version=snapshot.vibes.version,
    )


def vibe_ask(
    session: Session,
    snapshot: "VenueSnapshot",
    user_id: uuid.UUID,
    vibes: Sequence[str],
    at: datetime | None,
    settings: RecoSettings,
) -> "VibeAsk | None":
    """The moods of a request (`vibe=`, already validated: luna.vibes.schemas): the asked
    vibes, or with `auto` the person's strongest vibe at `at` (None: no history, no mood)."""
    from luna.reco.ranking import VibeAsk

    if not vibes:
        return None
    names = tuple(dict.fromkeys(vibes))
    if names == (AUTO,):
        if at is None:  # checked by the query's validation; kept for direct callers
            raise validation_error(("query", "vibe"), "vibe=auto needs at")
        now = _epoch(at)
        profile, visits = person_profile(
            session, snapshot, user_id, now, int(_local(np.array([now]))[0])
        )
        if not visits:
            return None
        names = (VIBE_NAMES[int(np.argmax(profile))],)
    unknown = [n for n in names if n not in VIBE_INDEX]
    if unknown:
        raise validation_error(("query", "vibe"), unknown_vibe_message(unknown), list(vibes))
    return VibeAsk(names, tuple(VIBE_INDEX[n] for n in names), settings.vibe_weight)


def behaviour_from_database(session: Session) -> tuple[list[uuid.UUID], list[Any], Behaviour]:
    """Every venue (ids, categories) and the behaviour the learner reads: positive
    interactions (visits, on New York's wall clock), dwell per person and venue spread over
    their visits, and the mean party size of the plans at each venue."""
    venues = venue_repository.candidate_rows(session)
    ids = [row[0] for row in venues]
    categories = [row[2] for row in venues]
    position = {vid: i for i, vid in enumerate(ids)}
    events = [e for e in repository.positive_events(session) if e[1] in position]
    users = {u: i for i, u in enumerate(dict.fromkeys(e[0] for e in events))}
    venue = np.fromiter((position[e[1]] for e in events), np.int64, len(events))
    user = np.fromiter((users[e[0]] for e in events), np.int64, len(events))
    utc = np.fromiter((_epoch(e[2]) for e in events), np.int64, len(events))
    # Dwell: each (person, venue)'s total, spread evenly over its visits; NaN where none.
    pair = user * max(len(ids), 1) + venue
    pairs, inverse, visits = np.unique(pair, return_inverse=True, return_counts=True)
    totals = np.full(len(pairs), np.nan)
    known = [
        (users[u] * len(ids) + position[v], seconds)
        for (u, v), seconds in repository.dwell_by_user_and_venue(session).items()
        if u in users and v in position
    ]
    if known:
        codes = np.array([code for code, _ in known], dtype=np.int64)
        at = np.searchsorted(pairs, codes).clip(0, max(len(pairs) - 1, 0))
        found = pairs[at] == codes
        totals[at[found]] = np.array([seconds for _, seconds in known], dtype=np.float64)[found]
    dwell = (totals / visits)[inverse.ravel()] if len(pairs) else np.zeros(0)
    party = np.full(len(ids), np.nan)
    for venue_id, size in repository.mean_party_size_by_venue(session).items():
        if venue_id in position:
            party[position[venue_id]] = size
    behaviour = Behaviour(
        n_venues=len(ids),
        venue=venue,
        user=user,
        local=_local(utc) if len(utc) else utc,
        dwell=dwell,
        party_size=party,
    )
    return ids, categories, behaviour


def refresh(
    session: Session, seed: int = 0, step: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Learn every venue's profile from the database and store it as a new version (the
    caller commits). Returns the version and its summary. `step` hears each stage begin."""
    say = step or (lambda _: None)
    say("reading behaviour")
    ids, categories, behaviour = behaviour_from_database(session)
    say("learning profiles")
    prior, known = prior_matrix(categories)
    profiles = learn(behaviour, prior, known, seed=seed)
    say("storing a new version")
    summary_ = summary(behaviour, known, profiles, seed)
    rows = profile_rows(ids, known, profiles)
    version = repository.add_version(session, FORMAT_VERSION, VIBE_NAMES, summary_, rows)
    return {"version": version, **summary_}


def summary(
    behaviour: Behaviour, known: np.ndarray, profiles: Profiles, seed: int
) -> dict[str, Any]:
    """What a version was learned from (stored with it)."""
    return {
        "venues": behaviour.n_venues,
        "events": len(behaviour.venue),
        "venues_with_prior": int(known.sum()),
        "venues_visited": int((profiles.visits > 0).sum()),
        "events_with_dwell": int(np.isfinite(behaviour.dwell).sum())
        if behaviour.dwell is not None
        else 0,
        "venues_with_plans": int(np.isfinite(behaviour.party_size).sum())
        if behaviour.party_size is not None
        else 0,
        "prior_visits": PRIOR_VISITS,
        "seed": seed,
    }


def profile_rows(
    ids: Sequence[uuid.UUID], known: np.ndarray, profiles: Profiles
) -> list[dict[str, Any]]:
    return [
        {
            "venue_id": vid,
            "scores": [round(float(x), 4) for x in profiles.scores[i]],
            "peak": None if profiles.peak[i] == NO_PEAK else int(profiles.peak[i]),
            "visits": int(profiles.visits[i]),
            "source": _source(bool(known[i]), int(profiles.visits[i])),
        }
        for i, vid in enumerate(ids)
    ]


def _source(has_prior: bool, visits: int) -> str:
    if has_prior:
        return "category+behaviour" if visits else "category"
    return "behaviour"
