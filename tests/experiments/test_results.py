"""Results: people exposed per arm, and conversions attributed only within attribution_hours
of an exposure and only for what it showed."""

import subprocess
import sys
import uuid

import pytest
from scipy import stats

from luna.experiments.assignment import arm_index, cumulative_shares
from tests.experiments.helpers import (
    age_exposures,
    arm_of,
    people_experiment,
    results,
    start,
    venue_experiment,
)
from tests.factories import connect, create_plan, create_user, create_venue, interact


def arm_row(body, name):
    return next(arm for arm in body["arms"] if arm["name"] == name)


def shown_venue(client, user_id):
    response = client.get(f"/reco/venues/{user_id}", params={"limit": 1})
    assert response.status_code == 200
    (shown,) = response.json()
    return shown["venue_id"]


@pytest.fixture
def person_and_venues(client):
    person = create_user(client, home_lat=40.0, home_lng=-73.0)
    near = create_venue(client, lat=40.0, lng=-73.0)
    far = create_venue(client, lat=41.0, lng=-73.0)
    return person, near, far


def test_results_before_any_traffic(client):
    start(client, venue_experiment())
    body = results(client, "venue-weights")
    assert body == {
        "key": "venue-weights",
        "status": "running",
        "arms": [
            {
                "name": name,
                "users": 0,
                "exposures": 0,
                "converted_users": 0,
                "conversion_rate": None,
                "ci95": None,
            }
            for name in ("control", "nearby")
        ],
        "comparisons": [
            {
                "arm": "nearby",
                "control": "control",
                "abs_diff": None,
                "ci95": None,
                "relative_lift": None,
                "p_value": None,
            }
        ],
        "srm_p_value": None,
        "interleaving": None,
    }


def test_only_likes_of_shown_venues_after_the_exposure_convert(client, person_and_venues):
    person, near, far = person_and_venues
    interact(client, person["id"], near["id"], "like")  # before any exposure: not counted
    start(client, venue_experiment())
    arm = arm_of(client, "venue-weights", person["id"])
    assert shown_venue(client, person["id"]) == near["id"]
    row = arm_row(results(client, "venue-weights"), arm)
    assert (row["users"], row["exposures"], row["converted_users"]) == (1, 1, 0)
    interact(client, person["id"], far["id"], "like")  # not shown
    interact(client, person["id"], near["id"], "view")  # not a conversion
    assert arm_row(results(client, "venue-weights"), arm)["converted_users"] == 0
    interact(client, person["id"], near["id"], "interest")
    row = arm_row(results(client, "venue-weights"), arm)
    assert (row["users"], row["converted_users"], row["conversion_rate"]) == (1, 1, 1.0)
    assert row["ci95"][0] < 1.0 and row["ci95"][1] == pytest.approx(1.0)


def test_a_like_after_the_window_does_not_convert(client, engine, person_and_venues):
    person, near, _ = person_and_venues
    start(client, venue_experiment(attribution_hours=2))
    arm = arm_of(client, "venue-weights", person["id"])
    assert shown_venue(client, person["id"]) == near["id"]
    results(client, "venue-weights")  # writes the exposure
    age_exposures(engine, 3)  # shown 3 h ago, with a 2 h window
    interact(client, person["id"], near["id"], "like")
    assert arm_row(results(client, "venue-weights"), arm)["converted_users"] == 0
    age_exposures(engine, -1.5)  # shown 1.5 h ago: the like is inside the window
    assert arm_row(results(client, "venue-weights"), arm)["converted_users"] == 1


def test_organizing_a_plan_at_a_shown_venue_converts(client, person_and_venues):
    person, near, far = person_and_venues
    start(client, venue_experiment())
    arm = arm_of(client, "venue-weights", person["id"])
    assert shown_venue(client, person["id"]) == near["id"]
    create_plan(client, person["id"], far["id"])  # not shown
    other = create_user(client)
    create_plan(client, other["id"], near["id"], [person["id"]])  # organized by someone else
    assert arm_row(results(client, "venue-weights"), arm)["converted_users"] == 0
    create_plan(client, person["id"], near["id"])
    assert arm_row(results(client, "venue-weights"), arm)["converted_users"] == 1


def test_inviting_a_shown_person_converts(client):
    person, close, loose = create_user(client), create_user(client), create_user(client)
    connect(client, person["id"], close["id"], strength=1.0)
    connect(client, person["id"], loose["id"], strength=0.1)
    venue = create_venue(client)
    arms = [{"name": "control"}, {"name": "social", "config": {"weights": {"social": 1}}}]
    start(client, people_experiment(arms=arms))
    arm = arm_of(client, "people-weights", person["id"])
    response = client.get(f"/reco/people/{person['id']}", params={"limit": 1})
    assert [r["user_id"] for r in response.json()] == [close["id"]]
    create_plan(client, person["id"], venue["id"], [loose["id"]])  # not shown
    create_plan(client, close["id"], venue["id"], [person["id"]])  # not their invitation
    assert arm_row(results(client, "people-weights"), arm)["converted_users"] == 0
    plan = create_plan(client, person["id"], venue["id"])
    response = client.post(f"/plans/{plan['id']}/participants", json={"user_id": close["id"]})
    assert response.status_code == 201, response.text
    row = arm_row(results(client, "people-weights"), arm)
    assert (row["users"], row["exposures"], row["converted_users"]) == (1, 1, 1)


def test_results_count_people_not_lists(client):
    users = [create_user(client, home_lat=40.0, home_lng=-73.0) for _ in range(8)]
    venue = create_venue(client, lat=40.0, lng=-73.0)
    start(client, venue_experiment())
    for user in users:
        for _ in range(3):
            client.get(f"/reco/venues/{user['id']}")
    interact(client, users[0]["id"], venue["id"], "like")
    body = results(client, "venue-weights")
    arms = {arm["name"]: arm for arm in body["arms"]}
    by_arm = {name: 0 for name in arms}
    for user in users:
        by_arm[arm_of(client, "venue-weights", user["id"])] += 1
    for name, row in arms.items():
        assert row["users"] == by_arm[name]
        assert row["exposures"] == 3 * by_arm[name]
    converted_arm = arm_of(client, "venue-weights", users[0]["id"])
    assert arms[converted_arm]["converted_users"] == 1
    assert sum(row["converted_users"] for row in arms.values()) == 1
    (comparison,) = body["comparisons"]
    assert comparison["arm"] == "nearby" and comparison["control"] == "control"
    expected = stats.chisquare([arms["control"]["users"], arms["nearby"]["users"]]).pvalue
    assert body["srm_p_value"] == pytest.approx(expected)


def test_assignment_answers_the_arm_the_route_serves(client):
    person = create_user(client, home_lat=40.0, home_lng=-73.0)
    create_venue(client)
    start(client, venue_experiment())
    response = client.get(f"/experiments/venue-weights/assignments/{person['id']}")
    assert response.status_code == 200
    body = response.json()
    assert body["key"] == "venue-weights" and body["user_id"] == person["id"]
    served = client.get(f"/reco/venues/{person['id']}").headers["Luna-Experiment"]
    assert served == f"venue-weights={body['arm']}"
    missing = client.get(f"/experiments/venue-weights/assignments/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.json() == {"detail": "User not found"}


def test_the_split_matches_the_weights_on_10000_ids():
    shares = cumulative_shares([1, 2, 3, 4])
    ids = [uuid.UUID(int=uuid.uuid5(uuid.NAMESPACE_DNS, str(i)).int) for i in range(10_000)]
    counts = [0, 0, 0, 0]
    for user_id in ids:
        counts[arm_index("split-check", user_id, shares)] += 1
    assert stats.chisquare(counts, [1000, 2000, 3000, 4000]).pvalue > 0.001
    # Independent between experiments: another key reshuffles the people.
    other = [arm_index("another-key", user_id, shares) for user_id in ids]
    same = [arm_index("split-check", user_id, shares) for user_id in ids]
    agreement = sum(a == b for a, b in zip(other, same, strict=True)) / len(ids)
    assert agreement == pytest.approx(0.1**2 + 0.2**2 + 0.3**2 + 0.4**2, abs=0.03)


def test_assignment_is_the_same_in_another_process():
    """Another interpreter (its own hash salt) computes the same arms."""
    ids = [uuid.uuid4() for _ in range(300)]
    shares = cumulative_shares([1, 1, 2])
    here = [arm_index("cross-process", user_id, shares) for user_id in ids]
    script = (
        "import sys, uuid\n"
        "from luna.experiments.assignment import arm_index, cumulative_shares\n"
        "shares = cumulative_shares([1, 1, 2])\n"
        "print(','.join(str(arm_index('cross-process', uuid.UUID(line.strip()), shares))"
        " for line in sys.stdin))\n"
    )
    there = subprocess.run(
        [sys.executable, "-c", script],
        input="\n".join(map(str, ids)),
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "random"},
    ).stdout.strip()
    assert [int(arm) for arm in there.split(",")] == here
