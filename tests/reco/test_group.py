"""Group venue recommendation: each strategy on hand-built groups whose answer is known.

Members have no home and only `view` interactions, so a member's score for a venue is exactly
0.4 * min(1, dwell / 300) (no spatial part, no popularity): the tables below are the scores.
"""

import pytest

from tests.factories import (
    assert_error,
    assert_invalid,
    create_plan,
    create_user,
    create_venue,
    interact,
)
from tests.reco.test_statement_count import count_statements


def view(client, user, venue, dwell):
    interact(client, user["id"], venue["id"], kind="view", dwell=dwell)


def group(client, users, strategy, limit=2):
    body = {"user_ids": [u["id"] for u in users], "strategy": strategy, "limit": limit}
    response = client.post("/reco/venues/group", json=body)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def readme_world(client):
    """The README's worked example. Ana and Ben share a taste; Cy likes the opposite.

    | venue | Ana  | Ben  | Cy   |
    |-------|------|------|------|
    | V1    | 0.40 | 0.40 | 0.02 |
    | V2    | 0.36 | 0.36 | 0.04 |
    | V3    | 0.04 | 0.04 | 0.40 |
    | V4    | 0.02 | 0.02 | 0.36 |
    """
    ana, ben, cy = (create_user(client, handle=h) for h in ("ana", "ben", "cy"))
    venues = [create_venue(client, name=f"V{i}") for i in range(1, 5)]
    for person, dwells in ((ana, (300, 270, 30, 15)), (ben, (300, 270, 30, 15))):
        for venue, dwell in zip(venues, dwells, strict=True):
            view(client, person, venue, dwell)
    for venue, dwell in zip(venues, (15, 30, 300, 270), strict=True):
        view(client, cy, venue, dwell)
    return [ana, ben, cy], venues


def names(results):
    return [r["venue_name"] for r in results]


def test_average_picks_the_highest_mean(client, readme_world):
    users, _ = readme_world
    got = group(client, users, "average")
    assert names(got) == ["V1", "V2"]
    assert got[0]["group_score"] == pytest.approx(0.82 / 3)
    assert got[1]["group_score"] == pytest.approx(0.76 / 3)


def test_average_is_the_default_strategy(client, readme_world):
    users, _ = readme_world
    body = {"user_ids": [u["id"] for u in users]}
    response = client.post("/reco/venues/group", json=body)
    assert names(response.json())[:2] == ["V1", "V2"]
    assert len(response.json()) == 4  # default limit 10, 4 venues exist


def test_least_misery_picks_the_best_worst_member(client, readme_world):
    users, _ = readme_world
    got = group(client, users, "least_misery")
    # V2 and V3 both leave someone at 0.04; V2 wins the tie on its higher mean.
    assert names(got) == ["V2", "V3"]
    assert [r["group_score"] for r in got] == pytest.approx([0.04, 0.04])


def test_fair_serves_the_minority_member_in_the_second_pick(client, readme_world):
    users, _ = readme_world
    got = group(client, users, "fair")
    # K = 4 candidates: p = 4/5, 3/5, 2/5, 1/5 by rank.
    # Pick 1: V1 gains .8 + .8 + .2 = 1.8. Ana and Ben are then 80% served (left: .2 each),
    # Cy 20% (left: .8). Pick 2: V3 gains .4*.2*2 + .8*.8 = .80 > V2 (.56) and V4 (.56).
    assert names(got) == ["V1", "V3"]
    assert [r["group_score"] for r in got] == pytest.approx([1.8, 0.8])


def test_fair_fills_the_list_past_everyones_top_k(client, readme_world):
    users, _ = readme_world
    assert len(group(client, users, "fair", limit=4)) == 4


def test_result_carries_every_members_score_distance_and_longest_trip(client):
    near = create_user(client, home_lat=40.0, home_lng=-74.0)
    far = create_user(client, home_lat=40.1, home_lng=-74.0)
    homeless = create_user(client)
    venue = create_venue(client, lat=40.0, lng=-74.0)
    (got,) = group(client, [near, far, homeless], "average")
    members = {m["user_id"]: m for m in got["members"]}
    assert [m["user_id"] for m in got["members"]] == [near["id"], far["id"], homeless["id"]]
    assert members[near["id"]]["distance_km"] == pytest.approx(0.0)
    assert members[far["id"]]["distance_km"] == pytest.approx(11.119, abs=1e-3)
    assert members[homeless["id"]]["distance_km"] is None
    assert members[homeless["id"]]["score"] == 0.0
    assert got["longest_trip_km"] == pytest.approx(11.119, abs=1e-3)
    assert got["venue_id"] == venue["id"]
    single = client.get(f"/reco/venues/{far['id']}").json()[0]
    assert members[far["id"]]["score"] == pytest.approx(single["score"])
    assert "Everyone is within 11.1 km." in got["reasons"]


def test_group_of_one_matches_the_single_recommender(client, readme_world):
    (ana, _, _), _ = readme_world
    got = group(client, [ana], "average", limit=4)
    single = client.get(f"/reco/venues/{ana['id']}", params={"limit": 4}).json()
    assert [r["venue_id"] for r in got] == [r["venue_id"] for r in single]


def test_group_reasons_name_fans_and_favourites(client):
    ana, ben = create_user(client, handle="ana2"), create_user(client, handle="ben2")
    venue = create_venue(client)
    interact(client, ana["id"], venue["id"], kind="like")
    (got,) = group(client, [ana, ben], "average")
    assert "@ana2 liked it." in got["reasons"]
    assert "It is the top pick for @ana2 and @ben2." in got["reasons"]


def test_unknown_member_is_404(client):
    user = create_user(client)
    body = {"user_ids": [user["id"], "00000000-0000-4000-8000-000000000000"]}
    assert_error(client.post("/reco/venues/group", json=body), 404, "User not found")


@pytest.mark.parametrize(
    "body",
    [
        {"user_ids": []},
        {"user_ids": [f"00000000-0000-4000-8000-{i:012d}" for i in range(21)]},
        {"limit": 0},
        {"limit": 101},
        {"strategy": "median"},
    ],
)
def test_invalid_group_requests_are_422(client, body):
    user = create_user(client)
    assert_invalid(client.post("/reco/venues/group", json={"user_ids": [user["id"]]} | body))


def test_plan_suggestions_leave_out_people_who_declined(client, readme_world):
    (ana, ben, cy), venues = readme_world
    plan = create_plan(client, ana["id"], venues[0]["id"], [ben["id"], cy["id"]])
    declined = {"status": "declined"}
    answer = client.patch(f"/plans/{plan['id']}/participants/{cy['id']}", json=declined)
    assert answer.status_code == 200
    got = client.get(f"/plans/{plan['id']}/suggestions", params={"strategy": "least_misery"})
    assert got.status_code == 200, got.text
    assert {m["user_id"] for m in got.json()[0]["members"]} == {ana["id"], ben["id"]}
    assert names(got.json())[:2] == ["V1", "V2"]


def test_plan_suggestions_of_unknown_plan_is_404(client):
    response = client.get("/plans/00000000-0000-4000-8000-000000000000/suggestions")
    assert_error(response, 404, "Plan not found")


def test_group_query_count_does_not_grow_with_the_group(client, engine):
    users = [create_user(client, home_lat=40.7, home_lng=-74.0) for _ in range(12)]
    venues = [create_venue(client) for _ in range(5)]
    for i, user in enumerate(users):
        interact(client, user["id"], venues[i % 5]["id"])

    def statements(members):
        body = {"user_ids": [u["id"] for u in members], "strategy": "fair"}
        with count_statements(engine) as seen:
            assert client.post("/reco/venues/group", json=body).status_code == 200
        return len(seen)

    assert statements(users[:2]) == statements(users) <= 6
