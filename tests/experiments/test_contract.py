"""The experiments contract: creating, listing, stopping, validation and conflicts."""

import pytest

from tests.experiments.helpers import people_experiment, start, venue_experiment
from tests.factories import assert_error, assert_invalid


def test_create_answers_the_running_experiment(client):
    body = venue_experiment(description="Distance only", attribution_hours=12)
    created = start(client, body)
    assert created["key"] == "venue-weights"
    assert created["surface"] == "venues"
    assert created["status"] == "running"
    assert created["mode"] == "ab"
    assert created["attribution_hours"] == 12
    assert created["description"] == "Distance only"
    assert created["stopped_at"] is None
    assert created["created_at"].endswith("+00:00")
    assert created["arms"] == [
        {"name": "control", "weight": 1.0, "config": {}},
        {
            "name": "nearby",
            "weight": 1.0,
            "config": {"weights": {"spatial": 1.0, "preference": 0.0, "popularity": 0.0}},
        },
    ]
    assert client.get("/experiments/venue-weights").json() == created
    assert client.get("/experiments/").json() == [created]


def test_attribution_defaults_to_a_day(client):
    assert start(client, venue_experiment())["attribution_hours"] == 24


def test_unknown_experiment_is_404(client):
    assert_error(client.get("/experiments/nope"), 404, "Experiment not found")
    assert_error(client.post("/experiments/nope/stop"), 404, "Experiment not found")
    assert_error(client.get("/experiments/nope/results"), 404, "Experiment not found")


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"key": "Not A Slug"}, ("body", "key")),
        ({"surface": "plans"}, ("body", "surface")),
        ({"attribution_hours": 0}, ("body", "attribution_hours")),
        ({"attribution_hours": 169}, ("body", "attribution_hours")),
        ({"colour": "blue"}, ("body", "colour")),
        ({"arms": [{"name": "only", "weight": 1}]}, ("body", "arms")),
        ({"arms": [{"name": f"a{i}", "weight": 1} for i in range(6)]}, ("body", "arms")),
        ({"arms": [{"name": "a", "weight": 1}, {"name": "a", "weight": 1}]}, ("body",)),
        ({"arms": [{"name": "a", "weight": 1}, {"name": "b", "weight": 0}]}, ("body", "arms", 1)),
        ({"arms": [{"name": "a", "weight": 1}, {"name": "B!", "weight": 1}]}, ("body", "arms", 1)),
    ],
)
def test_invalid_experiments_are_422(client, change, loc):
    assert_invalid(client.post("/experiments/", json={**venue_experiment(), **change}), *loc)
    assert client.get("/experiments/").json() == []


@pytest.mark.parametrize(
    ("config", "loc"),
    [
        ({"temperature": 1}, ("temperature",)),
        ({"weights": {"spatial": -0.1}}, ("weights", "spatial")),
        ({"weights": {"social": 1}}, ("weights", "social")),
        ({"weights": {"spatial": 0, "preference": 0, "popularity": 0}}, ("weights",)),
        ({"model": "neural"}, ("model",)),
        ({"model": "learned"}, ("model",)),  # no learned model loaded in the tests
        ({"spatial_decay_per_km": -1}, ("spatial_decay_per_km",)),
        ({"preference_dwell_seconds": 0}, ("preference_dwell_seconds",)),
    ],
)
def test_invalid_venue_config_is_422_naming_the_field(client, config, loc):
    body = venue_experiment()
    body["arms"][1]["config"] = config
    errors = assert_invalid(
        client.post("/experiments/", json=body), "body", "arms", 1, "config", *loc
    )
    assert errors[0]["msg"]
    assert client.get("/experiments/").json() == []


@pytest.mark.parametrize(
    ("config", "loc"),
    [
        ({"weights": {"spatial": 1}}, ("weights", "spatial")),
        ({"spatial_decay_per_km": 1}, ("spatial_decay_per_km",)),
        ({"weights": {"social": 0, "direct": 0, "category": 0}}, ("weights",)),
        ({"weights": {"direct": -1}}, ("weights", "direct")),
    ],
)
def test_invalid_people_config_is_422_naming_the_field(client, config, loc):
    body = people_experiment()
    body["arms"][0]["config"] = config
    assert_invalid(client.post("/experiments/", json=body), "body", "arms", 0, "config", *loc)
    assert client.get("/experiments/").json() == []


def test_interleaving_needs_two_venue_arms(client):
    body = people_experiment(mode="interleave")
    assert_invalid(client.post("/experiments/", json=body), "body", "mode")
    body = venue_experiment(mode="interleave")
    body["arms"].append({"name": "third", "weight": 1})
    assert_invalid(client.post("/experiments/", json=body), "body", "mode")
    assert client.get("/experiments/").json() == []


def test_a_taken_key_is_409(client):
    start(client, venue_experiment())
    client.post("/experiments/venue-weights/stop")
    response = client.post("/experiments/", json=venue_experiment())
    assert_error(response, 409, "An experiment with this key already exists")


def test_a_second_running_experiment_on_a_surface_is_409(client):
    start(client, venue_experiment())
    response = client.post("/experiments/", json=venue_experiment(key="another"))
    assert_error(response, 409, "Experiment 'venue-weights' is already running on venues")
    start(client, people_experiment())  # another surface is free
    client.post("/experiments/venue-weights/stop")
    start(client, venue_experiment(key="another"))  # and so is a stopped one's
    running = {e["key"]: e["status"] for e in client.get("/experiments/").json()}
    assert running == {
        "venue-weights": "stopped",
        "people-weights": "running",
        "another": "running",
    }


def test_stop_answers_the_stopped_experiment(client):
    start(client, venue_experiment())
    response = client.post("/experiments/venue-weights/stop")
    assert response.status_code == 200
    stopped = response.json()
    assert stopped["status"] == "stopped"
    assert stopped["stopped_at"] is not None
    again = client.post("/experiments/venue-weights/stop").json()
    assert again == stopped
    assert client.get("/experiments/venue-weights").json() == stopped
