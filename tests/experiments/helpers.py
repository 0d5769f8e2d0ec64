"""Building experiments and traffic for the experiment tests."""

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from luna.models import ExperimentExposure

HEADER = "Luna-Experiment"


def venue_experiment(key: str = "venue-weights", **fields: Any) -> dict[str, Any]:
    return {
        "key": key,
        "surface": "venues",
        "arms": [
            {"name": "control", "weight": 1, "config": {}},
            {
                "name": "nearby",
                "weight": 1,
                "config": {"weights": {"spatial": 1.0, "preference": 0.0, "popularity": 0.0}},
            },
        ],
        **fields,
    }


def people_experiment(key: str = "people-weights", **fields: Any) -> dict[str, Any]:
    return {
        "key": key,
        "surface": "people",
        "arms": [
            {"name": "control", "weight": 1, "config": {}},
            {"name": "direct", "weight": 1, "config": {"weights": {"social": 0, "direct": 1}}},
        ],
        **fields,
    }


def start(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/experiments/", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def results(client: TestClient, key: str) -> dict[str, Any]:
    response = client.get(f"/experiments/{key}/results")
    assert response.status_code == 200, response.text
    return response.json()


def arm_of(client: TestClient, key: str, user_id: str) -> str:
    response = client.get(f"/experiments/{key}/assignments/{user_id}")
    assert response.status_code == 200, response.text
    arm: str = response.json()["arm"]
    return arm


def flush(client: TestClient) -> None:
    client.app.state.exposure_buffer.flush()  # type: ignore[attr-defined]


def age_exposures(engine: Engine, hours: float) -> None:
    """Move every exposure `hours` into the past (its window with it)."""
    with Session(engine) as session, session.begin():
        for exposure in session.scalars(select(ExperimentExposure)):
            exposure.shown_at -= timedelta(hours=hours)
            exposure.expires_at -= timedelta(hours=hours)
