"""Several server processes: an experiment created or stopped through one is served by the
others within LUNA_EXPERIMENTS_REFRESH_SECONDS, each with the same assignment."""

import time

from fastapi.testclient import TestClient

from luna.app import create_app
from tests.experiments.helpers import HEADER, start, venue_experiment
from tests.factories import create_user, create_venue


def header_within(client: TestClient, url: str, seconds: float) -> str | None:
    deadline = time.monotonic() + seconds
    while True:
        value = client.get(url).headers.get(HEADER)
        if value is not None or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_another_process_serves_a_new_experiment_within_its_refresh(client, settings):
    person = create_user(client, home_lat=40.0, home_lng=-73.0)
    create_venue(client)
    url = f"/reco/venues/{person['id']}"
    other_app = create_app(settings.model_copy(update={"luna_experiments_refresh_seconds": 0.2}))
    try:
        with TestClient(other_app) as other:
            assert HEADER not in other.get(url).headers
            start(client, venue_experiment())
            served_here = client.get(url).headers[HEADER]
            assert header_within(other, url, 3.0) == served_here  # same arm there
            client.post("/experiments/venue-weights/stop")
            deadline = time.monotonic() + 3.0
            while HEADER in other.get(url).headers:
                assert time.monotonic() < deadline, "the stop never reached the other process"
                time.sleep(0.05)
    finally:
        other_app.state.engine.dispose()
