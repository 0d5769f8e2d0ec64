"""The API's recommendations against the reference (tests/reco/reference.py), with the whole
world read back through the public list routes, as a client would."""

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.reco.reference import people_scores, venue_scores

TOL = 1e-9
PAGE = {"limit": 1000}


@dataclass
class World:
    users: list[dict[str, Any]]
    venues: list[dict[str, Any]]
    interactions: list[dict[str, Any]]
    edges: list[dict[str, Any]]


def read_world(client: TestClient) -> World:
    users = client.get("/users/", params=PAGE).json()
    venues = client.get("/venues/", params=PAGE).json()
    assert len(users) < PAGE["limit"] and len(venues) < PAGE["limit"], "world too big to read"
    interactions, edges = [], []
    for user in users:
        mine = client.get(f"/users/{user['id']}/interactions", params=PAGE).json()
        assert len(mine) < PAGE["limit"]
        interactions += mine
        edges += client.get(f"/users/{user['id']}/edges", params=PAGE).json()
    return World(users, venues, interactions, edges)


def close(actual: float | None, expected: float | None) -> bool:
    if expected is None or actual is None:
        return actual is expected
    return actual == pytest.approx(expected, abs=TOL, rel=TOL)


def assert_venues_match(client: TestClient, world: World, user: dict[str, Any]) -> None:
    got = client.get(f"/reco/venues/{user['id']}", params={"limit": 100}).json()
    want = venue_scores(user, world.venues, world.interactions)[:100]
    assert [r["venue_id"] for r in got] == [r["venue_id"] for r in want], user["handle"]
    for g, w in zip(got, want, strict=True):
        assert close(g["score"], w["score"]), (user["handle"], g, w)
        assert close(g["distance_km"], w["distance_km"]), (user["handle"], g, w)
        for name in ("spatial", "preference", "popularity"):
            assert close(g["features"][name], w["features"][name]), (user["handle"], name, g, w)


def assert_people_match(
    client: TestClient, world: World, user: dict[str, Any], venue: dict[str, Any] | None
) -> None:
    params = {"limit": 100} | ({"venue_id": venue["id"]} if venue else {})
    got = client.get(f"/reco/people/{user['id']}", params=params).json()
    want = people_scores(user["id"], world.edges, venue, world.venues, world.interactions)
    where = (user["handle"], venue and venue["name"])
    assert [r["user_id"] for r in got] == [r["user_id"] for r in want], where
    for g, w in zip(got, want, strict=True):
        assert close(g["score"], w["score"]), (where, g, w)
        assert g["relationship_type"] == w["relationship_type"], where
        for name in ("social", "direct", "category"):
            assert close(g["features"][name], w["features"][name]), (where, name, g, w)


def assert_people_match_everywhere(client: TestClient) -> World:
    """Every person's people recommendation, without a venue and at every venue, equals the
    reference's; returns the world read."""
    world = read_world(client)
    for user in world.users:
        for venue in [None, *world.venues]:
            assert_people_match(client, world, user, venue)
    return world
