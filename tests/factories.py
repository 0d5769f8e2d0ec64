"""Build test data through the public API, the way a client would."""

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

_counter = itertools.count()


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
