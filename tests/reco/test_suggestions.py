"""People beyond direct edges (Adamic-Adar, co-visitation), invite suggestions, reasons."""

import math
import re

import pytest

from luna.reco import reasons
from luna.reco.heuristic import Engagement
from tests.factories import assert_error, connect, create_plan, create_user, create_venue, interact


def people(client, user, **params):
    response = client.get(f"/reco/people/{user['id']}", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return {r["user_id"]: r for r in response.json()}


@pytest.fixture
def graph(client):
    """u -> a, u -> b (0.5 each); a -> c; b -> c; b -> d; e -> b.

    Undirected neighbourhoods: N(a) = {u, c} (2), N(b) = {u, c, d, e} (4).
    AA(u, c) = 1/ln 2 + 1/ln 4; AA(u, d) = AA(u, e) = 1/ln 4.
    u's circle = 1/ln 2 + 1/ln 4, so aa_norm(c) = 1 and aa_norm(d) = aa_norm(e) = 1/3.
    """
    w = {name: create_user(client, handle=f"g{name}") for name in "uabcde"}
    connect(client, w["u"]["id"], w["a"]["id"], 0.5)
    connect(client, w["u"]["id"], w["b"]["id"], 0.5)
    connect(client, w["a"]["id"], w["c"]["id"], 0.9)
    connect(client, w["b"]["id"], w["c"]["id"], 0.1)
    connect(client, w["b"]["id"], w["d"]["id"], 0.3)
    connect(client, w["e"]["id"], w["b"]["id"], 0.3)
    return w


def test_default_people_are_direct_edges_only(client, graph):
    got = people(client, graph["u"])
    assert set(got) == {graph["a"]["id"], graph["b"]["id"]}
    assert got[graph["a"]["id"]]["reasons"] == ["They are your friend."]


def test_friends_of_friends_by_adamic_adar(client, graph):
    got = people(client, graph["u"], include_suggested=True)
    assert set(got) == {graph[n]["id"] for n in "abcde"}
    c, d = got[graph["c"]["id"]], got[graph["d"]["id"]]
    assert c["relationship_type"] == d["relationship_type"] == "suggested"
    circle = 1 / math.log(2) + 1 / math.log(4)
    assert c["features"]["social"] == pytest.approx((1 / math.log(2) + 1 / math.log(4)) / circle)
    assert d["features"]["social"] == pytest.approx((1 / math.log(4)) / circle)
    assert d["features"]["social"] == pytest.approx(1 / 3)
    assert c["score"] == pytest.approx(0.6)
    assert d["score"] == pytest.approx(0.2)
    assert got[graph["e"]["id"]]["score"] == pytest.approx(0.2)  # incoming edge e -> b counts
    assert "You have 2 friends in common." in c["reasons"]
    assert "You have 1 friend in common." in d["reasons"]


def test_suggested_people_are_ranked_by_score_not_below_friends(client, graph):
    response = client.get(f"/reco/people/{graph['u']['id']}", params={"include_suggested": True})
    order = [r["user_id"] for r in response.json()]
    assert order[0] == graph["c"]["id"]  # 0.6 beats the direct friends' 0.3
    assert set(order[1:3]) == {graph["a"]["id"], graph["b"]["id"]}


def test_someone_followed_is_never_suggested(client, graph):
    connect(client, graph["u"]["id"], graph["c"]["id"], 0.2)
    got = people(client, graph["u"], include_suggested=True)
    assert got[graph["c"]["id"]]["relationship_type"] == "friend"
    assert got[graph["c"]["id"]]["features"]["social"] == pytest.approx(0.2)
    assert graph["u"]["id"] not in got


def test_co_visitors_are_suggested(client):
    me, stranger, other = create_user(client), create_user(client), create_user(client)
    v1, v2, v3 = create_venue(client), create_venue(client), create_venue(client)
    interact(client, me["id"], v1["id"], kind="view")
    interact(client, me["id"], v2["id"], kind="like")
    interact(client, stranger["id"], v1["id"], kind="view")
    interact(client, stranger["id"], v1["id"], kind="like")
    interact(client, other["id"], v3["id"], kind="like")
    got = people(client, me, include_suggested=True)
    assert set(got) == {stranger["id"]}
    (only,) = got.values()
    assert only["features"]["social"] == pytest.approx(0.5)  # 1 of my 2 venues
    assert only["score"] == pytest.approx(0.3)
    assert only["reasons"][0] == "You have 1 venue in common."


def test_suggested_people_get_the_venue_features(client, graph):
    venue = create_venue(client, category="comedy-club")
    other = create_venue(client, category="comedy-club")
    interact(client, graph["c"]["id"], venue["id"], kind="like")
    interact(client, graph["c"]["id"], other["id"], kind="like")
    got = people(client, graph["u"], include_suggested=True, venue_id=venue["id"])
    c = got[graph["c"]["id"]]
    assert c["features"]["direct"] == pytest.approx(0.5)
    assert c["features"]["category"] == pytest.approx(0.6)
    # Co-visitation: u visited nothing, so c's social is its Adamic-Adar closeness (1).
    assert c["score"] == pytest.approx(0.6 + 0.25 * 0.5 + 0.15 * 0.6)
    assert "They liked this venue once." in c["reasons"]
    assert "They like comedy clubs." in c["reasons"]


def test_invite_suggestions_rank_companions_not_on_the_plan(client, graph):
    venue = create_venue(client)
    interact(client, graph["b"]["id"], venue["id"], kind="like")
    plan = create_plan(client, graph["u"]["id"], venue["id"], [graph["a"]["id"]])
    got = client.get(f"/plans/{plan['id']}/invite-suggestions").json()
    assert [r["user_id"] for r in got] == [graph["b"]["id"]]
    assert got[0]["score"] == pytest.approx(0.6 * 0.5 + 0.25 * 0.5 + 0.15 * 0.3)
    wider = client.get(
        f"/plans/{plan['id']}/invite-suggestions", params={"include_suggested": True}
    ).json()
    ids = [r["user_id"] for r in wider]
    assert graph["a"]["id"] not in ids and graph["u"]["id"] not in ids
    assert set(ids) == {graph[n]["id"] for n in "bcde"}


def test_invite_suggestions_leave_out_people_who_declined(client, graph):
    venue = create_venue(client)
    plan = create_plan(client, graph["u"]["id"], venue["id"], [graph["a"]["id"]])
    declined = {"status": "declined"}
    client.patch(f"/plans/{plan['id']}/participants/{graph['a']['id']}", json=declined)
    got = client.get(f"/plans/{plan['id']}/invite-suggestions").json()
    assert [r["user_id"] for r in got] == [graph["b"]["id"]]


def test_invite_suggestions_of_unknown_plan_is_404(client):
    response = client.get("/plans/00000000-0000-4000-8000-000000000000/invite-suggestions")
    assert_error(response, 404, "Plan not found")


def test_suggested_people_statement_count_is_fixed(client, engine, graph):
    from tests.reco.test_statement_count import count_statements

    venue = create_venue(client)

    def statements():
        with count_statements(engine) as seen:
            params = {"include_suggested": True, "venue_id": venue["id"]}
            assert client.get(f"/reco/people/{graph['u']['id']}", params=params).status_code == 200
        return len(seen)

    small = statements()
    for i in range(10):
        extra = create_user(client)
        connect(client, graph["b"]["id"], extra["id"], 0.1 * (i % 10))
        interact(client, extra["id"], venue["id"])
    assert statements() == small


# --- Venue reasons -----------------------------------------------------------------------


def test_venue_reasons_say_distance_engagement_and_popularity(client):
    user = create_user(client, home_lat=40.0, home_lng=-74.0)
    venue = create_venue(client, lat=40.0 + 1.2 / 111.195, lng=-74.0)
    others = [create_venue(client, lat=41, lng=-74) for _ in range(3)]
    interact(client, user["id"], venue["id"], kind="like", dwell=600)
    interact(client, user["id"], venue["id"], kind="interest")
    fan = create_user(client)
    for other in others:  # 4 liked venues: the most liked one is in the top 25%
        interact(client, fan["id"], other["id"], kind="like")
    got = {r["venue_id"]: r for r in client.get(f"/reco/venues/{user['id']}").json()}
    assert got[venue["id"]]["reasons"] == [
        "You liked it twice.",
        "You spent 10 min there.",
        "It is 1.2 km from your home.",
        "It is in the top 25% by likes.",
    ]
    assert got[others[1]["id"]]["reasons"] == ["It is 111.2 km from your home."]


def test_venue_reasons_without_home_or_history(client):
    user = create_user(client)
    create_venue(client)
    (got,) = client.get(f"/reco/venues/{user['id']}").json()
    assert got["reasons"] == ["It is new to you."]


@pytest.mark.parametrize(
    ("kind", "strength", "reason"),
    [
        ("friend", 0.9, "They are a close friend."),
        ("friend", 0.5, "They are your friend."),
        ("mutual", 0.8, "You know each other well."),
        ("mutual", 0.5, "You know each other."),
        ("suggested", 0.9, "They are suggested for you."),
    ],
)
def test_an_edge_alone_reads_as_a_sentence(kind, strength, reason):
    nothing = Engagement(0, 0)
    assert reasons.person_reasons(kind, strength, 0, 0, nothing, nothing, None) == [reason]


def test_every_reason_is_a_sentence():
    liked = Engagement(2, 600)
    said = [
        *reasons.venue_reasons(1.2, "home", liked, 5),
        *reasons.venue_reasons(0.05, "near", Engagement(0, 0), None),
        *reasons.venue_reasons(None, "home", Engagement(0, 0), None),
        *reasons.person_reasons("mutual", 0.5, 2, 3, liked, liked, "comedy-club"),
        *reasons.person_reasons("friend", 0.5, 0, 0, Engagement(0, 90), liked, "bar"),
        *reasons.group_reasons(3.14, [("ana", liked), ("ben", liked)], ["ana"], 0.4, 1),
        *reasons.group_reasons(2.0, [("ana", liked), ("ben", Engagement(0, 0))], [], 0.1, None),
        *reasons.group_reasons(None, [("ana", Engagement(0, 0))], [], 0.0, None),
    ]
    assert len(said) == 21
    for reason in said:
        assert re.fullmatch(r"[A-Z@][^.]*(\.\d+[^.]*)*\.", reason), reason
