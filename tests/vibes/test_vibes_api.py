"""Vibes through the API, on SQLite and PostgreSQL: the vocabulary, a venue's learned
profile (stored, versioned, moved by behaviour), a person's vibes, and `vibe=` on the venue
recommendations."""

import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from luna.models import VenueVibes, VibeProfileVersion
from luna.reco.index import VenueIndex
from luna.vibes import service
from luna.vibes.repository import KEEP_VERSIONS
from luna.vibes.vocabulary import VIBE_NAMES
from tests.factories import assert_error, assert_invalid, create_user, create_venue, interact

# A Friday, 23:30 in New York.
FRIDAY_NIGHT = "2026-11-27T23:30:00-05:00"
SATURDAY_NOON = "2026-11-28T12:00:00-05:00"


def refresh(engine) -> dict:
    with Session(engine) as session:
        result = service.refresh(session)
        session.commit()
    return result


def vibes_of(client, venue) -> dict[str, float] | None:
    response = client.get(f"/venues/{venue['id']}")
    assert response.status_code == 200, response.text
    return response.json()["vibes"]


def test_vocabulary_lists_every_vibe_with_a_description(client):
    response = client.get("/vibes")
    assert response.status_code == 200
    body = response.json()
    assert [v["name"] for v in body] == list(VIBE_NAMES)
    assert {"chill", "lively", "loud", "romantic", "cosy", "outdoorsy", "late-night", "family"} <= {
        v["name"] for v in body
    }
    assert all(len(v["description"]) > 20 for v in body)


def test_a_venue_has_no_vibes_until_a_refresh_then_one_in_0_1_per_vibe(client, engine):
    bar = create_venue(client, category="bar")
    playground = create_venue(client, category="playground")
    assert vibes_of(client, bar) is None
    result = refresh(engine)
    assert result["venues"] == 2
    bar_vibes, playground_vibes = vibes_of(client, bar), vibes_of(client, playground)
    assert set(bar_vibes) == set(VIBE_NAMES)
    assert all(0.0 <= score <= 1.0 for score in bar_vibes.values())
    # Unvisited: their categories' priors (luna.vibes.vocabulary).
    assert bar_vibes["late-night"] == pytest.approx(0.9)
    assert playground_vibes["family"] == pytest.approx(1.0)
    assert bar_vibes["late-night"] > playground_vibes["late-night"]


def test_behaviour_moves_a_venue_away_from_its_category(client, engine):
    """Two bars; one is where park-goers go. Its outdoorsy score rises with their visits."""
    quiet_bar = create_venue(client, category="bar")
    park_bar = create_venue(client, category="bar")
    parks = [create_venue(client, category="park") for _ in range(3)]
    for _ in range(12):
        person = create_user(client)
        for park in parks:
            interact(client, person["id"], park["id"], occurred_at=SATURDAY_NOON)
        interact(client, person["id"], park_bar["id"], occurred_at=SATURDAY_NOON)
    refresh(engine)
    quiet, moved = vibes_of(client, quiet_bar), vibes_of(client, park_bar)
    assert quiet["outdoorsy"] == pytest.approx(0.0)
    assert moved["outdoorsy"] > 0.3
    assert moved["late-night"] < quiet["late-night"]


def test_a_venue_without_a_category_learns_from_behaviour_alone(client, engine):
    mystery = create_venue(client, category=None)
    clubs = [create_venue(client, category="nightlife-spot") for _ in range(2)]
    for _ in range(3):
        person = create_user(client)
        for venue in (*clubs, mystery):
            interact(client, person["id"], venue["id"], occurred_at=FRIDAY_NIGHT)
    refresh(engine)
    learned = vibes_of(client, mystery)
    assert learned["loud"] > 0.5 and learned["late-night"] > 0.5
    assert learned["family"] < 0.2


def test_refreshes_are_versioned_and_old_versions_pruned(client, engine, db_session):
    create_venue(client, category="cafe")
    versions = [refresh(engine)["version"] for _ in range(KEEP_VERSIONS + 2)]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    kept = db_session.scalars(select(VibeProfileVersion.version)).all()
    assert sorted(kept) == versions[-KEEP_VERSIONS:]
    rows = db_session.scalar(select(func.count()).select_from(VenueVibes))
    assert rows == KEEP_VERSIONS


def reco(client, user, **params):
    response = client.get(f"/reco/venues/{user['id']}", params={"limit": 10, **params})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def town(client):
    """A person at home among a club (loud), a tea room (chill) and a playground, all as
    near and as popular."""
    person = create_user(client, home_lat=40.73, home_lng=-73.99)
    venues = {
        name: create_venue(client, name=name, category=category, lat=40.731, lng=-73.99)
        for name, category in (
            ("club", "nightlife-spot"),
            ("tea", "tea-room"),
            ("swings", "playground"),
        )
    }
    return person, venues


def test_vibe_ranks_the_fitting_venue_first_and_says_why(client, town):
    person, _ = town
    loud = reco(client, person, vibe="loud")
    assert loud[0]["venue_name"] == "club"
    assert loud[0]["reasons"][0] == "It is loud (vibe 1.00)."
    assert loud[0]["features"]["vibe"] == pytest.approx(1.0)
    assert loud[-1]["reasons"][0].startswith("It is only a little loud")
    chill = reco(client, person, vibe="chill")
    assert chill[0]["venue_name"] == "tea"
    # The blend: SPEC §3 score * ((1 - 0.5) + 0.5 * fit).
    plain = {r["venue_name"]: r["score"] for r in reco(client, person)}
    assert chill[0]["score"] == pytest.approx(plain["tea"] * 1.0)
    not_chill = {r["venue_name"]: r["score"] for r in chill[1:]}
    assert not_chill == pytest.approx(
        {"club": plain["club"] * 0.5, "swings": plain["swings"] * 0.5}
    )
    assert "vibe" not in reco(client, person)[0]["features"]


def test_several_vibes_rank_by_their_mean_and_name_the_best_match(client, town):
    person, _ = town
    results = reco(client, person, vibe=["chill", "outdoorsy"])
    # The tea room: chill 1.0, outdoorsy 0; the playground: chill 0, outdoorsy 0.8.
    assert [r["venue_name"] for r in results[:2]] == ["tea", "swings"]
    assert results[0]["features"]["vibe"] == pytest.approx(0.5)
    assert results[0]["reasons"][0] == "It is chill (vibe 1.00)."
    assert results[1]["features"]["vibe"] == pytest.approx(0.4)
    assert results[1]["reasons"][0] == "It is outdoorsy (vibe 0.80)."


def test_an_unknown_vibe_is_a_422_listing_the_known_ones(client, town):
    person, _ = town
    response = client.get(f"/reco/venues/{person['id']}", params={"vibe": ["loud", "spooky"]})
    errors = assert_invalid(response, "query", "vibe")
    assert "'spooky'" in errors[0]["msg"]
    assert all(name in errors[0]["msg"] for name in VIBE_NAMES)


def test_auto_needs_at_and_uses_the_persons_vibe_at_that_time(client, town):
    person, _ = town
    response = client.get(f"/reco/venues/{person['id']}", params={"vibe": "auto"})
    assert "needs at" in assert_invalid(response, "query", "vibe")[0]["msg"]
    response = client.get(f"/reco/venues/{person['id']}", params={"vibe": ["auto", "loud"]})
    assert_invalid(response, "query", "vibe")
    # Friday nights at the club, Saturday noons at the swings.
    other_club = create_venue(client, category="nightlife-spot", lat=40.9, lng=-73.99)
    other_swings = create_venue(client, category="playground", lat=40.9, lng=-73.99)
    interact(client, person["id"], other_club["id"], occurred_at=FRIDAY_NIGHT)
    interact(client, person["id"], other_swings["id"], occurred_at=SATURDAY_NOON)
    visited = {"exclude_visited": True}
    at_night = reco(client, person, vibe="auto", at="2026-12-04T23:00:00-05:00", **visited)
    assert at_night[0]["venue_name"] == "club"
    assert "loud" in at_night[0]["reasons"][0] or "late-night" in at_night[0]["reasons"][0]
    at_noon = reco(client, person, vibe="auto", at="2026-12-05T12:30:00-05:00", **visited)
    assert at_noon[0]["venue_name"] == "swings"


def test_auto_without_history_ranks_as_without_a_vibe(client, town):
    person, _ = town
    with_auto = reco(client, person, vibe="auto", at=FRIDAY_NIGHT)
    assert [r["venue_name"] for r in with_auto] == [r["venue_name"] for r in reco(client, person)]
    assert all("vibe" not in r["features"] for r in with_auto)


def test_a_persons_vibes_come_from_their_history(client, engine):
    person = create_user(client)
    empty = client.get(f"/users/{person['id']}/vibes")
    assert empty.status_code == 200
    assert empty.json()["vibes"] == {} and empty.json()["visits"] == 0
    park, club = (
        create_venue(client, category="park"),
        create_venue(client, category="nightlife-spot"),
    )
    for _ in range(3):
        interact(client, person["id"], park["id"], occurred_at=SATURDAY_NOON)
    interact(client, person["id"], club["id"], occurred_at="2025-01-01T23:00:00-05:00")
    interact(client, person["id"], club["id"], kind="view")  # not a visit
    body = client.get(f"/users/{person['id']}/vibes").json()
    assert body["visits"] == 4
    assert body["top"][0] == "outdoorsy"
    assert set(body["vibes"]) == set(VIBE_NAMES)
    # The club visit is older: it weighs less than a quarter of the park visits.
    assert 0 < body["vibes"]["loud"] < 0.25
    assert body["version"] is None
    refresh(engine)
    assert client.get(f"/users/{person['id']}/vibes").json()["version"] is not None


def test_a_persons_vibes_404_for_an_unknown_person(client):
    response = client.get("/users/00000000-0000-4000-8000-000000000000/vibes")
    assert_error(response, 404, "User not found")


def test_recommendations_read_the_stored_profiles_and_name_the_busiest_time(client, engine):
    """A bar whose visitors come on Friday nights and go to clubs: after a refresh it is
    louder than its category says, and its reason says when."""
    person = create_user(client, home_lat=40.73, home_lng=-73.99)
    bar = create_venue(client, name="bar", category="bar", lat=40.731, lng=-73.99)
    clubs = [
        create_venue(client, category="nightlife-spot", lat=41.5, lng=-73.99) for _ in range(2)
    ]
    for _ in range(4):
        visitor = create_user(client)
        for venue in (bar, *clubs):
            interact(client, visitor["id"], venue["id"], occurred_at=FRIDAY_NIGHT)
    before = reco(client, person, vibe="loud")[0]
    assert before["venue_name"] == "bar"
    assert before["features"]["vibe"] == pytest.approx(0.7)  # the category's prior
    refresh(engine)
    after = reco(client, person, vibe="loud")[0]
    assert after["venue_name"] == "bar"
    assert after["features"]["vibe"] > 0.7
    assert after["features"]["vibe"] == pytest.approx(vibes_of(client, bar)["loud"], abs=1e-4)
    assert after["reasons"][0].startswith("It is loud on Friday nights (vibe ")


def test_a_windowed_index_picks_up_a_new_version_at_its_next_window(client, app, engine):
    """Serving reads the profiles from the venue index: a refresh shows at the next window
    (on PostgreSQL, where the catalog's digest lets the reload keep the catalog, too)."""
    from tests.reco.test_index_windows import WINDOW, Clock, wait_for_window

    factory = app.state.session_factory
    create_venue(client, category="bar")
    clock = Clock(time.time())
    index = VenueIndex(factory, WINDOW, clock)
    with factory() as session:
        assert index.snapshot(session).vibes.version is None
    version = refresh(engine)["version"]
    with factory() as session:
        assert index.snapshot(session).vibes.version is None  # the window's snapshot
    clock.now += WINDOW
    wait_for_window(index, factory, int(clock.now // WINDOW))
    with factory() as session:
        assert index.snapshot(session).vibes.version == version


def test_vibe_adds_no_statement_and_auto_adds_one(client, engine, town):
    """The profiles come from the venue index: `vibe=` runs the statements the route runs
    without it; `vibe=auto` one more (the person's visits with their times)."""
    from tests.reco.test_statement_count import count_statements

    person, _ = town
    counts = {}
    for label, params in (
        ("plain", {}),
        ("vibe", {"vibe": ["loud", "chill"]}),
        ("auto", {"vibe": "auto", "at": FRIDAY_NIGHT}),
    ):
        with count_statements(engine) as statements:
            reco(client, person, **params)
        counts[label] = len(statements)
    assert counts["vibe"] == counts["plain"]
    assert counts["auto"] == counts["plain"] + 1


def test_the_learner_reads_dwell_and_party_sizes_from_the_database(client, engine):
    """Dwell: each (person, venue)'s total, views included, spread over their visits; party
    size: the people on each plan there who have not declined, averaged over its plans."""
    import math
    import uuid as uuid_module

    from tests.factories import create_plan

    lounge, diner = create_venue(client, category="bar"), create_venue(client, category="diner")
    person, friend, other = create_user(client), create_user(client), create_user(client)
    interact(client, person["id"], lounge["id"], "like", dwell=100)
    interact(client, person["id"], lounge["id"], "interest", dwell=0)
    interact(client, person["id"], lounge["id"], "view", dwell=500)
    interact(client, friend["id"], diner["id"], "like")
    create_plan(client, person["id"], lounge["id"], [friend["id"], other["id"]])
    create_plan(client, friend["id"], lounge["id"])
    with Session(engine) as session:
        ids, _, behaviour = service.behaviour_from_database(session)
    position = {vid: i for i, vid in enumerate(ids)}
    lounge_at = position[uuid_module.UUID(lounge["id"])]
    diner_at = position[uuid_module.UUID(diner["id"])]
    assert len(behaviour.venue) == 3  # the view is not a visit
    lounge_dwell = behaviour.dwell[behaviour.venue == lounge_at]
    assert lounge_dwell.tolist() == [300.0, 300.0]  # (100 + 500) over two visits
    assert all(math.isnan(d) for d in behaviour.dwell[behaviour.venue == diner_at])
    # Plans: organizer + two invited (3), organizer alone (1): 2 on average.
    assert behaviour.party_size[lounge_at] == pytest.approx(2.0)
    assert math.isnan(behaviour.party_size[diner_at])
