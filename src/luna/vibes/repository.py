"""All SQL about vibes: the stored profile versions, and the behaviour the learner reads."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.orm import Session

from luna.models import (
    POSITIVE_INTERACTION_TYPES,
    Interaction,
    ParticipantStatus,
    Plan,
    PlanParticipant,
    VenueVibes,
    VibeProfileVersion,
)

# How many versions stay stored (the newest serves; the others let a process still reading
# an older one finish, and show what changed).
KEEP_VERSIONS = 3


def latest_version(session: Session, format_version: int, vocabulary: Sequence[str]) -> int | None:
    """The newest stored version this code reads (its format and vocabulary), or None. The
    vocabulary is compared here (JSON equality differs between the backends)."""
    stmt = (
        select(VibeProfileVersion.version, VibeProfileVersion.vocabulary)
        .where(VibeProfileVersion.format_version == format_version)
        .order_by(VibeProfileVersion.version.desc())
        .limit(1)
    )
    row = session.execute(stmt).first()
    if row is None or list(row.vocabulary) != list(vocabulary):
        return None
    return int(row.version)


def profiles(session: Session, version: int) -> Sequence[Any]:
    """(venue_id, scores, peak) of every venue in `version`."""
    stmt = select(VenueVibes.venue_id, VenueVibes.scores, VenueVibes.peak).where(
        VenueVibes.version == version
    )
    return session.execute(stmt).all()


def latest_profiles(
    session: Session, format_version: int, vocabulary: Sequence[str]
) -> tuple[int | None, Sequence[Any]]:
    """The newest readable version and its rows, in one statement (a reload on every
    request reads this)."""
    latest = (
        select(func.max(VibeProfileVersion.version))
        .where(VibeProfileVersion.format_version == format_version)
        .scalar_subquery()
    )
    stmt = select(
        VenueVibes.version, VenueVibes.venue_id, VenueVibes.scores, VenueVibes.peak
    ).where(VenueVibes.version == latest)
    rows = session.execute(stmt).all()
    if not rows:
        return None, []
    version = int(rows[0].version)
    stored = session.get(VibeProfileVersion, version)
    if stored is None or list(stored.vocabulary) != list(vocabulary):
        return None, []
    return version, [(row.venue_id, row.scores, row.peak) for row in rows]


def venue_profile(
    session: Session, venue_id: uuid.UUID, format_version: int, vocabulary: Sequence[str]
) -> tuple[list[float], int | None] | None:
    """One venue's scores and peak in the newest readable version (None: not profiled)."""
    version = latest_version(session, format_version, vocabulary)
    if version is None:
        return None
    row = session.execute(
        select(VenueVibes.scores, VenueVibes.peak).where(
            VenueVibes.version == version, VenueVibes.venue_id == venue_id
        )
    ).first()
    return None if row is None else (list(row.scores), row.peak)


def add_version(
    session: Session,
    format_version: int,
    vocabulary: Sequence[str],
    summary: dict[str, Any],
    rows: list[dict[str, Any]],
) -> int:
    """Store a new version and its venue rows (dicts of venue_id, scores, peak, visits,
    source); older versions beyond KEEP_VERSIONS are deleted. Returns the version."""
    stored = VibeProfileVersion(
        format_version=format_version, vocabulary=list(vocabulary), summary=summary
    )
    session.add(stored)
    session.flush()
    if rows:
        session.execute(insert(VenueVibes), [{**row, "version": stored.version} for row in rows])
    keep = (
        select(VibeProfileVersion.version)
        .order_by(VibeProfileVersion.version.desc())
        .limit(KEEP_VERSIONS)
        .scalar_subquery()
    )
    old = select(VibeProfileVersion.version).where(VibeProfileVersion.version.not_in(keep))
    old_versions = list(session.scalars(old))
    if old_versions:
        session.execute(delete(VenueVibes).where(VenueVibes.version.in_(old_versions)))
        session.execute(
            delete(VibeProfileVersion).where(VibeProfileVersion.version.in_(old_versions))
        )
    return stored.version


def positive_events(session: Session) -> Sequence[Any]:
    """(user_id, venue_id, occurred_at) of every positive interaction: the visits the learner
    reads (a Core statement: millions of rows at scale)."""
    stmt = select(Interaction.user_id, Interaction.venue_id, Interaction.occurred_at).where(
        Interaction.interaction_type.in_(POSITIVE_INTERACTION_TYPES)
    )
    return session.connection().execute(stmt).all()


def dwell_by_user_and_venue(session: Session) -> dict[tuple[uuid.UUID, uuid.UUID], int]:
    """Total dwell (any interaction type: views carry it too) per (person, venue)."""
    stmt = (
        select(Interaction.user_id, Interaction.venue_id, func.sum(Interaction.dwell_time_seconds))
        .where(Interaction.dwell_time_seconds > 0)
        .group_by(Interaction.user_id, Interaction.venue_id)
    )
    return {(u, v): int(d) for u, v, d in session.execute(stmt)}


def mean_party_size_by_venue(session: Session) -> dict[uuid.UUID, float]:
    """Per venue, the mean party size of the plans made there: the people on each plan who
    have not declined (the organizer is one of them)."""
    party = (
        select(PlanParticipant.plan_id, func.count().label("size"))
        .where(PlanParticipant.status != ParticipantStatus.declined)
        .group_by(PlanParticipant.plan_id)
        .subquery()
    )
    stmt = (
        select(Plan.venue_id, func.avg(party.c.size))
        .join(party, party.c.plan_id == Plan.id)
        .group_by(Plan.venue_id)
    )
    return {venue_id: float(size) for venue_id, size in session.execute(stmt)}


# A person's visits with their times (vibe=auto on the hot venue route: a Core statement on
# the session's connection, as luna.interactions.repository.home_and_engagement).
_PERSON_VISITS = select(Interaction.venue_id, Interaction.occurred_at).where(
    Interaction.user_id == bindparam("user_id"),
    Interaction.interaction_type.in_(POSITIVE_INTERACTION_TYPES),
)


def person_visits(session: Session, user_id: uuid.UUID) -> Sequence[tuple[uuid.UUID, datetime]]:
    """(venue_id, occurred_at) of a person's positive interactions (their vibes read these)."""
    rows = session.connection().execute(_PERSON_VISITS, {"user_id": user_id}).all()
    return [(venue_id, at) for venue_id, at in rows]
