"""Build test data through the public API, the way a client would."""

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from httpx2 import Response

_counter = itertools.count()

# Every field of a booking in a response (SPEC §2 plus failure_reason).
BOOKING_FIELDS = {
    "id",
    "plan_id",
    "provider",
    "external_ref",
    "status",
    "party_size",
    "failure_reason",
    "created_at",
}


def create_user(client: TestClient, **fields: Any) -> dict[str, Any]:
    n = next(_counter)
    body = {"handle": f"user{n}", "name": f"User {n}", **fields}
    response = client.post("/users/", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def create_venue(client: TestClient, **fields: Any) -> dict[str, Any]:
    n = next(_counter)
    body = {"name": f"Venue {n}", "lat": 40.73, "lng": -73.99, "category": "bar", **fields}
    response = client.post("/venues/", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def interact(
    client: TestClient,
    user_id: str,
    venue_id: str,
    kind: str = "like",
    dwell: int = 0,
    **fields: Any,
) -> dict[str, Any]:
    body = {"user_id": user_id, "interaction_type": kind, "dwell_time_seconds": dwell, **fields}
    response = client.post(f"/venues/{venue_id}/interactions", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def connect(
    client: TestClient, user_id: str, other_id: str, strength: float = 0.5, kind: str = "friend"
) -> dict[str, Any]:
    body = {"relationship_type": kind, "strength": strength}
    response = client.put(f"/users/{user_id}/edges/{other_id}", json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()


def future(hours: float = 48) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


def create_plan(
    client: TestClient,
    organizer_id: str,
    venue_id: str,
    participant_ids: list[str] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    body = {
        "organizer_id": organizer_id,
        "venue_id": venue_id,
        "start_time": future(),
        "participant_ids": participant_ids or [],
        **fields,
    }
    response = client.post("/plans/", json=body)
    assert response.status_code == 201, response.text
    return response.json()


# --- Reading and asserting, shared by the API contract tests -----------------------------


def list_all(client: TestClient, url: str, **params: Any) -> list[dict[str, Any]]:
    """Every row of a list route (one page of the maximum size)."""
    response = client.get(url, params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


def count(client: TestClient, url: str, **params: Any) -> int:
    return len(list_all(client, url, **params))


def send_raw(client: TestClient, method: str, url: str, text: str | bytes) -> Response:
    """Send a body as is (NaN, broken JSON, ...) labelled as JSON."""
    return client.request(method, url, content=text, headers={"content-type": "application/json"})


def assert_error(response: Response, status: int, detail: str) -> None:
    """A `{"detail": "..."}` error (SPEC §1)."""
    assert response.status_code == status, response.text
    assert response.json() == {"detail": detail}


def assert_invalid(response: Response, *loc: str | int) -> list[dict[str, Any]]:
    """A 422 in FastAPI's list form; with `loc`, one error's location starts with it."""
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert isinstance(errors, list) and errors, errors
    for error in errors:
        assert {"type", "loc", "msg"} <= error.keys(), error
    if loc:
        assert any(tuple(error["loc"][: len(loc)]) == loc for error in errors), errors
    return errors


def assert_utc(value: str) -> datetime:
    """An ISO-8601 time that carries a UTC offset."""
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() == timedelta(0), value
    return parsed


def plan_for(client: TestClient) -> dict[str, Any]:
    """A plan of a new organizer at a new venue, nobody invited."""
    organizer, venue = create_user(client), create_venue(client)
    return create_plan(client, organizer["id"], venue["id"])
