"""Every route with no token, an expired token, a forged token, another user's token and the
right token (SPEC §7). A refused request changes nothing."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.factories import future

World = dict[str, str]


def build_world(client, tokens) -> World:
    """alice organizes plans; bob is her friend and invitee; carol is a stranger to both."""
    admin = tokens.admin()
    world = {name: str(uuid.uuid4()) for name in ("alice", "bob", "carol")}
    for i, name in enumerate(("alice", "bob", "carol")):
        body = {
            "id": world[name],
            "handle": f"{name}{i}",
            "name": name.title(),
            "home_lat": 40.7,
            "home_lng": -74.0,
        }
        assert client.post("/users/", json=body, headers=admin).status_code == 201
    venue = client.post(
        "/venues/",
        json={"name": "Smalls", "lat": 40.73, "lng": -74.0, "category": "bar"},
        headers=admin,
    )
    world["venue"] = venue.json()["id"]
    alice = tokens.user(world["alice"])
    assert (
        client.put(
            f"/users/{world['alice']}/edges/{world['bob']}",
            json={"relationship_type": "friend", "strength": 0.9},
            headers=alice,
        ).status_code
        == 201
    )
    for key in ("plan", "booked_plan"):
        body = {
            "organizer_id": world["alice"],
            "venue_id": world["venue"],
            "start_time": future(),
            "participant_ids": [world["bob"]],
        }
        response = client.post("/plans/", json=body, headers=alice)
        assert response.status_code == 201, response.text
        world[key] = response.json()["id"]
    confirmed = client.post(f"/plans/{world['booked_plan']}/confirm", headers=alice)
    world["booking"] = confirmed.json()["booking_id"]
    return world


def snapshot(client, tokens, world: World) -> list[Any]:
    """What a refused request must leave as it was (read as an admin)."""
    admin = tokens.admin()
    urls = [
        "/users/?limit=1000",
        "/venues/?limit=1000",
        f"/users/{world['alice']}/interactions",
        f"/users/{world['alice']}/edges",
        f"/plans/{world['plan']}",
        f"/plans/{world['booked_plan']}",
        "/bookings/",
    ]
    return [client.get(url, headers=admin).json() for url in urls]


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: Callable[[World], str]
    body: Callable[[World], Any] | None
    actor: str  # who may: a user of the world, or "admin", or "anyone"
    ok: int


def interaction(w: World) -> dict[str, Any]:
    return {"user_id": w["alice"], "interaction_type": "like", "dwell_time_seconds": 30}


CASES = [
    Case("list users", "GET", lambda w: "/users/", None, "anyone", 200),
    Case("get user", "GET", lambda w: f"/users/{w['alice']}", None, "anyone", 200),
    Case(
        "update user",
        "PATCH",
        lambda w: f"/users/{w['alice']}",
        lambda w: {"name": "Al"},
        "alice",
        200,
    ),
    Case("delete user", "DELETE", lambda w: f"/users/{w['alice']}", None, "alice", 204),
    Case(
        "create venue",
        "POST",
        lambda w: "/venues/",
        lambda w: {"name": "New", "lat": 1, "lng": 2},
        "admin",
        201,
    ),
    Case("list venues", "GET", lambda w: "/venues/", None, "anyone", 200),
    Case("get venue", "GET", lambda w: f"/venues/{w['venue']}", None, "anyone", 200),
    Case(
        "update venue",
        "PATCH",
        lambda w: f"/venues/{w['venue']}",
        lambda w: {"rating": 4.0},
        "admin",
        200,
    ),
    Case(
        "log interaction",
        "POST",
        lambda w: f"/venues/{w['venue']}/interactions",
        interaction,
        "alice",
        201,
    ),
    Case(
        "log interaction (old name)",
        "POST",
        lambda w: f"/venues/{w['venue']}/interact",
        interaction,
        "alice",
        201,
    ),
    Case(
        "batch interactions",
        "POST",
        lambda w: "/interactions/batch",
        lambda w: {"interactions": [interaction(w) | {"venue_id": w["venue"]}]},
        "alice",
        201,
    ),
    Case(
        "list interactions",
        "GET",
        lambda w: f"/users/{w['alice']}/interactions",
        None,
        "alice",
        200,
    ),
    Case(
        "put edge",
        "PUT",
        lambda w: f"/users/{w['alice']}/edges/{w['carol']}",
        lambda w: {"relationship_type": "suggested", "strength": 0.2},
        "alice",
        201,
    ),
    Case("list edges", "GET", lambda w: f"/users/{w['alice']}/edges", None, "alice", 200),
    Case(
        "delete edge",
        "DELETE",
        lambda w: f"/users/{w['alice']}/edges/{w['bob']}",
        None,
        "alice",
        204,
    ),
    Case(
        "venue recommendations", "GET", lambda w: f"/reco/venues/{w['alice']}", None, "alice", 200
    ),
    Case(
        "people recommendations",
        "GET",
        lambda w: f"/reco/people/{w['alice']}?venue_id={w['venue']}",
        None,
        "alice",
        200,
    ),
    Case(
        "group venue recommendations",
        "POST",
        lambda w: "/reco/venues/group",
        lambda w: {"user_ids": [w["alice"], w["bob"]], "strategy": "fair"},
        "alice",
        200,
    ),
    Case(
        "plan venue suggestions",
        "GET",
        lambda w: f"/plans/{w['plan']}/suggestions",
        None,
        "bob",
        200,
    ),
    Case(
        "plan invite suggestions",
        "GET",
        lambda w: f"/plans/{w['plan']}/invite-suggestions?include_suggested=true",
        None,
        "alice",
        200,
    ),
    Case(
        "create plan",
        "POST",
        lambda w: "/plans/",
        lambda w: {"organizer_id": w["alice"], "venue_id": w["venue"], "start_time": future()},
        "alice",
        201,
    ),
    Case("get plan", "GET", lambda w: f"/plans/{w['plan']}", None, "bob", 200),
    Case("plan events", "GET", lambda w: f"/plans/{w['booked_plan']}/events", None, "bob", 200),
    Case(
        "invite",
        "POST",
        lambda w: f"/plans/{w['plan']}/participants",
        lambda w: {"user_id": w["carol"]},
        "alice",
        201,
    ),
    Case(
        "answer invitation",
        "PATCH",
        lambda w: f"/plans/{w['plan']}/participants/{w['bob']}",
        lambda w: {"status": "accepted"},
        "bob",
        200,
    ),
    Case("confirm", "POST", lambda w: f"/plans/{w['plan']}/confirm", None, "alice", 200),
    Case("cancel", "POST", lambda w: f"/plans/{w['booked_plan']}/cancel", None, "alice", 200),
    Case("get booking", "GET", lambda w: f"/bookings/{w['booking']}", None, "bob", 200),
    Case(
        "get plan booking", "GET", lambda w: f"/plans/{w['booked_plan']}/booking", None, "bob", 200
    ),
    Case("list plans", "GET", lambda w: "/plans/", None, "anyone", 200),
    Case("list bookings", "GET", lambda w: "/bookings/", None, "anyone", 200),
]


def call(client, case: Case, world: World, headers: dict[str, str]):
    body = case.body(world) if case.body else None
    return client.request(case.method, case.path(world), json=body, headers=headers)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_route_access(auth_client, tokens, case):
    world = build_world(auth_client, tokens)
    before = snapshot(auth_client, tokens, world)
    owner = world["alice"] if case.actor in ("anyone", "admin") else world[case.actor]

    for label, headers in [
        ("no token", {}),
        ("expired", tokens.expired(owner)),
        ("forged", tokens.forged(owner)),
        ("malformed", {"Authorization": "Bearer not.a.jwt"}),
    ]:
        response = call(auth_client, case, world, headers)
        assert response.status_code == 401, (label, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["detail"] in ("Not authenticated", "Token expired", "Invalid token")

    if case.actor != "anyone":
        stranger = tokens.user(world["carol"])
        response = call(auth_client, case, world, stranger)
        assert response.status_code == 403, response.text
        assert isinstance(response.json()["detail"], str)

    assert snapshot(auth_client, tokens, world) == before

    right = tokens.admin() if case.actor == "admin" else tokens.user(owner)
    response = call(auth_client, case, world, right)
    assert response.status_code == case.ok, response.text


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.actor not in ("anyone", "admin")], ids=lambda c: c.name
)
def test_admin_may_do_everything(auth_client, tokens, case):
    world = build_world(auth_client, tokens)
    response = call(auth_client, case, world, tokens.admin())
    assert response.status_code == case.ok, response.text


@pytest.mark.parametrize("path", ["/health/", "/health/live", "/docs", "/redoc", "/openapi.json"])
def test_public_routes_need_no_token(auth_client, path):
    assert auth_client.get(path).status_code == 200
