"""Prometheus: luna_experiment_exposures_total and luna_experiment_conversions_total."""

from prometheus_client.parser import text_string_to_metric_families

from tests.experiments.helpers import arm_of, results, start, venue_experiment
from tests.factories import create_user, create_venue, interact


def sample(client, name, **labels):
    text = client.get("/metrics").text
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return s.value
    return 0.0


def test_exposures_and_conversions_are_counted_per_arm(client, backend):
    key = f"metrics-{backend}"  # the counters are process-wide
    person = create_user(client, home_lat=40.0, home_lng=-73.0)
    venue = create_venue(client, lat=40.0, lng=-73.0)
    start(client, venue_experiment(key=key))
    arm = arm_of(client, key, person["id"])
    exposures = "luna_experiment_exposures_total"
    conversions = "luna_experiment_conversions_total"
    for _ in range(3):
        client.get(f"/reco/venues/{person['id']}")
    assert sample(client, exposures, experiment=key, arm=arm) == 3
    interact(client, person["id"], venue["id"], "like")
    results(client, key)
    assert sample(client, conversions, experiment=key, arm=arm) == 1
    results(client, key)  # the same person again: not counted twice
    assert sample(client, conversions, experiment=key, arm=arm) == 1
