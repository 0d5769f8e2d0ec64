"""The demo data set (`luna seed`): size, idempotence, determinism and sensible recommendations."""

import shutil
import statistics
import uuid
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from luna.cli import app as cli_app
from luna.config import Settings, get_settings
from luna.db import create_db_engine
from luna.demo import seed_demo
from luna.demo.catalog import USERS
from luna.demo.seed import user_id, venue_id
from luna.models import (
    POSITIVE_INTERACTION_TYPES,
    Base,
    Booking,
    BookingStatus,
    Interaction,
    Plan,
    PlanParticipant,
    PlanStatus,
    SocialEdge,
    User,
    Venue,
)
from tests.factories import create_user
from tests.reco.agreement import assert_people_match_everywhere, assert_venues_match

CATALOGUE = {user.handle: user for user in USERS}


def end_transaction(session: Session) -> None:
    """Release the session's transaction: on SQLite every transaction holds the write lock
    (BEGIN IMMEDIATE), so an open one would block the seeder and the API."""
    session.rollback()


def table_counts(session: Session) -> dict[str, int]:
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
    }


def snapshot(engine: Engine) -> dict[str, list[Any]]:
    """What must be identical between two seeded databases (creation times aside)."""
    with Session(engine) as session:
        return {
            "users": sorted(tuple(row) for row in session.execute(select(User.id, User.handle))),
            "venues": sorted(
                tuple(row)
                for row in session.execute(select(Venue.id, Venue.name, Venue.lat, Venue.lng))
            ),
            "interactions": sorted(
                (str(u), str(v), str(kind), dwell)
                for u, v, kind, dwell in session.execute(
                    select(
                        Interaction.user_id,
                        Interaction.venue_id,
                        Interaction.interaction_type,
                        Interaction.dwell_time_seconds,
                    )
                )
            ),
            "edges": sorted(
                (str(a), str(b), str(kind), strength)
                for a, b, kind, strength in session.execute(
                    select(
                        SocialEdge.user_id,
                        SocialEdge.other_user_id,
                        SocialEdge.relationship_type,
                        SocialEdge.strength,
                    )
                )
            ),
        }


def test_seed_loads_a_complete_data_set(engine: Engine, db_session: Session) -> None:
    assert seed_demo(engine) is True

    users = db_session.scalars(select(User)).all()
    venues = db_session.scalars(select(Venue)).all()
    assert len(users) >= 24
    assert sum(1 for user in users if user.home_lat is None) >= 1
    assert len(venues) >= 20
    assert len({venue.category for venue in venues}) >= 8
    assert all(venue.description for venue in venues)
    assert db_session.scalar(select(func.count()).select_from(Interaction)) >= 200
    with_edges = db_session.scalar(select(func.count(SocialEdge.user_id.distinct())))
    assert with_edges >= 0.8 * len(users)

    plans = db_session.scalars(select(Plan)).all()
    assert len(plans) == 5
    participants = {
        plan_id: count
        for plan_id, count in db_session.execute(
            select(PlanParticipant.plan_id, func.count()).group_by(PlanParticipant.plan_id)
        )
    }
    assert all(participants[plan.id] >= 2 for plan in plans)
    assert all(plan.start_time > datetime.now(UTC) for plan in plans)
    bookings = db_session.scalars(select(Booking)).all()
    assert any(booking.status == BookingStatus.booked for booking in bookings)
    statuses = {plan.id: plan.status for plan in plans}
    assert all(statuses[booking.plan_id] != PlanStatus.pending for booking in bookings)


def test_interactions_happened_before_the_seeding_day(engine: Engine, db_session: Session) -> None:
    seed_demo(engine)
    midnight = datetime.combine(datetime.now(UTC).date(), time(0), tzinfo=UTC)
    latest = db_session.scalar(select(func.max(Interaction.occurred_at)))
    assert latest is not None
    assert latest < midnight


def test_some_venues_are_clearly_more_popular(engine: Engine, db_session: Session) -> None:
    seed_demo(engine)
    positives = func.count(Interaction.id).filter(
        Interaction.interaction_type.in_(POSITIVE_INTERACTION_TYPES)
    )
    counts = sorted(
        db_session.scalars(
            select(positives)
            .select_from(Venue)
            .outerjoin(Interaction, Interaction.venue_id == Venue.id)
            .group_by(Venue.id)
        )
    )
    assert counts[-1] >= 2 * statistics.median(counts)


def test_seeding_again_changes_nothing(engine: Engine, db_session: Session) -> None:
    seed_demo(engine)
    first = snapshot(engine)
    before = table_counts(db_session)
    end_transaction(db_session)

    assert seed_demo(engine) is False

    assert snapshot(engine) == first
    assert table_counts(db_session) == before


def test_any_existing_user_stops_the_seed(
    client: TestClient, engine: Engine, db_session: Session
) -> None:
    create_user(client)
    assert seed_demo(engine) is False
    counts = table_counts(db_session)
    assert counts["users"] == 1
    assert sum(counts.values()) == 1


def test_seed_is_deterministic(engine: Engine, sqlite_template: Path, tmp_path: Path) -> None:
    """The fixture's database (either backend) and a fresh SQLite file get the same data."""
    seed_demo(engine)
    other_path = tmp_path / "other.db"
    shutil.copy(sqlite_template, other_path)
    other = create_db_engine(Settings(database_url=f"sqlite:///{other_path}"))
    try:
        seed_demo(other)
        assert snapshot(other) == snapshot(engine)
    finally:
        other.dispose()


def test_ids_derive_from_stable_names(engine: Engine, db_session: Session) -> None:
    seed_demo(engine)
    maya = db_session.get(User, user_id("maya_reads"))
    assert maya is not None
    assert maya.name == "Maya Chen"
    books = db_session.get(Venue, venue_id("perry-street-books"))
    assert books is not None
    assert books.category == "bookstore"


@pytest.mark.parametrize("handle", ["maya_reads", "hannah_slope"])
def test_top_venues_are_nearby_favourites(client: TestClient, engine: Engine, handle: str) -> None:
    seed_demo(engine)
    favourites = CATALOGUE[handle].favourites

    top = client.get(f"/reco/venues/{user_id(handle)}", params={"limit": 3}).json()

    assert len(top) == 3
    assert sum(item["category"] in favourites for item in top) >= 2
    assert all(item["distance_km"] is not None and item["distance_km"] < 3.0 for item in top)


def test_user_without_home_gets_null_distances(client: TestClient, engine: Engine) -> None:
    seed_demo(engine)
    homeless = next(user for user in USERS if user.home is None)

    body = client.get(f"/reco/venues/{user_id(homeless.handle)}").json()

    assert body
    assert all(item["distance_km"] is None for item in body)
    assert all(item["features"]["spatial"] == 0 for item in body)
    assert body[0]["category"] in homeless.favourites


def test_friend_who_liked_the_venue_comes_first(
    client: TestClient, engine: Engine, db_session: Session
) -> None:
    """Maya's two closest friends have the same edge strength; the venue decides between them."""
    seed_demo(engine)
    maya, jonah, priya = (user_id(h) for h in ("maya_reads", "jonah_brews", "priya_laughs"))
    strengths = {
        edge.other_user_id: edge.strength
        for edge in db_session.scalars(select(SocialEdge).where(SocialEdge.user_id == maya))
    }
    assert strengths[jonah] == strengths[priya]
    liked_by_jonah = set(
        db_session.scalars(
            select(Interaction.venue_id).where(
                Interaction.user_id == jonah,
                Interaction.interaction_type.in_(POSITIVE_INTERACTION_TYPES),
            )
        )
    )
    seen_by_priya = set(
        db_session.scalars(select(Interaction.venue_id).where(Interaction.user_id == priya))
    )
    venue = min(liked_by_jonah - seen_by_priya)
    end_transaction(db_session)

    body = client.get(f"/reco/people/{maya}", params={"venue_id": str(venue)}).json()

    ranked = [uuid.UUID(item["user_id"]) for item in body]
    assert ranked.index(jonah) < ranked.index(priya)
    assert body[ranked.index(jonah)]["features"]["direct"] > 0
    assert body[ranked.index(priya)]["features"]["direct"] == 0


def test_every_demo_persons_recommendations_equal_the_reference(
    client: TestClient, engine: Engine
) -> None:
    """The demo loader writes interactions like any other path: the people route's category
    term then counts them (its totals once stayed empty after a seed)."""
    seed_demo(engine)
    world = assert_people_match_everywhere(client)
    for user in world.users:
        assert_venues_match(client, world, user)
    liked_categories = [
        r["features"]["category"]
        for r in client.get(
            f"/reco/people/{user_id('maya_reads')}",
            params={"venue_id": str(venue_id("perry-street-books"))},
        ).json()
    ]
    assert max(liked_categories) > 0


def test_luna_seed_command(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        first = runner.invoke(cli_app, ["seed"])
        second = runner.invoke(cli_app, ["seed"])
    finally:
        get_settings.cache_clear()

    assert first.exit_code == 0, first.output
    assert "Demo data loaded" in first.output
    assert second.exit_code == 0, second.output
    assert "nothing loaded" in second.output
    engine = create_db_engine(Settings(database_url=db_url))
    try:
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(User)) == len(USERS)
    finally:
        engine.dispose()
