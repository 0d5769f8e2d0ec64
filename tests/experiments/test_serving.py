"""Serving: each person's list is computed with their arm's config, carries the
Luna-Experiment header, and is recorded as an exposure (buffered, written in batches)."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from luna.experiments.serving import arm_settings
from luna.models import ExperimentExposure
from tests.experiments.helpers import (
    HEADER,
    arm_of,
    flush,
    people_experiment,
    start,
    venue_experiment,
)
from tests.factories import create_user, create_venue
from tests.reco.test_formulas import build_world

NEARBY = {
    "weights": {"spatial": 1.0, "preference": 0.1, "popularity": 0.0},
    "spatial_decay_per_km": 2.0,
    "preference_dwell_seconds": 60.0,
}


def served_by_normal_route(app_cache, settings, reco, url, params):
    """The normal route (no experiment running) of a server whose settings are `reco`."""
    other = app_cache.app(settings.model_copy(update={"reco": reco}))
    with TestClient(other) as client:
        response = client.get(url, params=params)
        assert HEADER not in response.headers
        return response.json()


def test_a_venue_arm_serves_the_formula_under_its_config(client, settings, app_cache):
    # Arms follow the random user ids: with 16 people both arms serve someone but for a
    # chance of 2 in 65,536 (6 people left one arm empty about 3 % of the time).
    users, _ = build_world(client, seed=11, n_users=16)
    body = venue_experiment(arms=[{"name": "control"}, {"name": "nearby", "config": NEARBY}])
    start(client, body)
    served = {}
    for user in users:
        response = client.get(f"/reco/venues/{user['id']}", params={"limit": 100})
        assert response.status_code == 200
        arm = arm_of(client, "venue-weights", user["id"])
        assert response.headers[HEADER] == f"venue-weights={arm}"
        served[user["id"]] = (arm, response.json())
    assert {arm for arm, _ in served.values()} == {"control", "nearby"}  # both arms served
    control_reco = settings.reco
    nearby_reco = arm_settings(settings.reco, "venues", NEARBY)
    assert nearby_reco.venue_weight_spatial == 1.0 and nearby_reco.spatial_decay_per_km == 2.0
    client.post("/experiments/venue-weights/stop")
    for user_id, (arm, got) in served.items():
        reco = nearby_reco if arm == "nearby" else control_reco
        url = f"/reco/venues/{user_id}"
        want = served_by_normal_route(app_cache, settings, reco, url, {"limit": 100})
        assert got == want


def test_a_people_arm_serves_the_formula_under_its_config(client, settings, app_cache):
    users, venues = build_world(client, seed=12, n_users=16)  # both arms: as for venues
    config = {"weights": {"social": 0.1, "direct": 1.0, "category": 0.5}}
    start(
        client, people_experiment(arms=[{"name": "control"}, {"name": "direct", "config": config}])
    )
    served = {}
    for user in users:
        params = {"limit": 100, "venue_id": venues[0]["id"]}
        response = client.get(f"/reco/people/{user['id']}", params=params)
        arm = arm_of(client, "people-weights", user["id"])
        assert response.headers[HEADER] == f"people-weights={arm}"
        served[user["id"]] = (arm, response.json())
    assert {arm for arm, _ in served.values()} == {"control", "direct"}  # both arms served
    client.post("/experiments/people-weights/stop")
    direct_reco = arm_settings(settings.reco, "people", config)
    for user_id, (arm, got) in served.items():
        reco = direct_reco if arm == "direct" else settings.reco
        params = {"limit": 100, "venue_id": venues[0]["id"]}
        want = served_by_normal_route(app_cache, settings, reco, f"/reco/people/{user_id}", params)
        assert got == want


def test_no_header_outside_experiments(client):
    users, _ = build_world(client, seed=13, n_users=4)
    user_id = users[1]["id"]
    assert HEADER not in client.get(f"/reco/venues/{user_id}").headers
    start(client, people_experiment())  # another surface's experiment
    assert HEADER not in client.get(f"/reco/venues/{user_id}").headers
    assert HEADER in client.get(f"/reco/people/{user_id}").headers
    client.post("/experiments/people-weights/stop")
    assert HEADER not in client.get(f"/reco/people/{user_id}").headers


def test_after_stop_everyone_gets_the_normal_settings(client):
    users, _ = build_world(client, seed=14)
    before = {u["id"]: client.get(f"/reco/venues/{u['id']}").json() for u in users}
    start(client, venue_experiment())
    client.post("/experiments/venue-weights/stop")
    after = {u["id"]: client.get(f"/reco/venues/{u['id']}") for u in users}
    assert all(HEADER not in r.headers for r in after.values())
    assert {user_id: r.json() for user_id, r in after.items()} == before


def test_exposures_record_who_saw_what_where(client, engine):
    users, _ = build_world(client, seed=15, n_users=4)
    start(client, venue_experiment())
    lists = {}
    for user in users[1:3]:
        for _ in range(2):
            lists[user["id"]] = client.get(f"/reco/venues/{user['id']}", params={"limit": 5}).json()
    assert client.app.state.exposure_buffer.__len__() == 4  # not written on the route
    flush(client)
    with Session(engine) as session:
        exposures = session.scalars(select(ExperimentExposure)).all()
        assert len(exposures) == 4
        for exposure in exposures:
            assert exposure.arm == arm_of(client, "venue-weights", str(exposure.user_id))
            assert exposure.expires_at - exposure.shown_at == timedelta(hours=24)
            # In the order shown, best first; no arms in an A/B test.
            assert [str(i) for i in exposure.item_ids] == [
                r["venue_id"] for r in lists[str(exposure.user_id)]
            ]
            assert exposure.item_arms is None


def test_a_rejected_request_records_no_exposure(client):
    start(client, venue_experiment())
    response = client.get("/reco/venues/00000000-0000-0000-0000-000000000001")
    assert response.status_code == 404
    assert len(client.app.state.exposure_buffer) == 0


def test_exposures_are_written_by_the_lifespan_without_a_results_read(client, engine):
    users, _ = build_world(client, seed=16, n_users=4)
    start(client, venue_experiment())
    client.get(f"/reco/venues/{users[1]['id']}")
    client.__exit__(None, None, None)  # shutdown writes what is left
    with Session(engine) as session:
        assert len(session.scalars(select(ExperimentExposure)).all()) == 1


def test_an_exposure_of_a_deleted_person_is_skipped_and_the_others_written(client, engine):
    kept, gone = (create_user(client, home_lat=40.0, home_lng=-73.0) for _ in range(2))
    create_venue(client)
    start(client, venue_experiment())
    for person in (kept, gone, kept):
        assert client.get(f"/reco/venues/{person['id']}").status_code == 200
    assert client.delete(f"/users/{gone['id']}").status_code == 204
    assert client.app.state.exposure_buffer.flush() == 2
    assert len(client.app.state.exposure_buffer) == 0  # nothing left to retry forever
    with Session(engine) as session:
        exposures = session.scalars(select(ExperimentExposure)).all()
        users = [str(e.user_id) for e in exposures]
        items = [item for e in exposures for item in e.item_ids]
    assert users == [kept["id"], kept["id"]]
    assert len(items) == 2
