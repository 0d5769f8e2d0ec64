"""A recommendation runs the same number of SQL statements on a small and a 10x world."""

import random
from contextlib import contextmanager

from sqlalchemy import event

from tests.factories import connect, create_user, create_venue


@contextmanager
def count_statements(engine):
    """Every statement the app's engine runs (the one way to the database)."""
    statements: list[object] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def grow_world(
    client, rng: random.Random, n_users: int, n_venues: int, n_interactions: int, edges_each: int
):
    users = [
        create_user(client, home_lat=40.7 + rng.random() / 10, home_lng=-74.0)
        for _ in range(n_users)
    ]
    venues = [
        create_venue(
            client, lat=40.7 + rng.random() / 10, lng=-74.0, category=rng.choice(["bar", "cafe"])
        )
        for _ in range(n_venues)
    ]
    items = [
        {
            "user_id": rng.choice(users)["id"],
            "venue_id": rng.choice(venues)["id"],
            "interaction_type": rng.choice(["view", "like"]),
            "dwell_time_seconds": 10,
        }
        for _ in range(n_interactions)
    ]
    assert client.post("/interactions/batch", json={"interactions": items}).status_code == 201
    for user in users:
        for other in rng.sample(users, edges_each + 1):
            if other["id"] != user["id"]:
                connect(client, user["id"], other["id"], strength=rng.random())
    return users, venues


def reco_statements(client, engine, user_id: str, venue_id: str) -> tuple[int, int]:
    with count_statements(engine) as venue_statements:
        assert client.get(f"/reco/venues/{user_id}", params={"limit": 100}).status_code == 200
    with count_statements(engine) as people_statements:
        response = client.get(
            f"/reco/people/{user_id}", params={"venue_id": venue_id, "limit": 100}
        )
        assert response.status_code == 200
    return len(venue_statements), len(people_statements)


def test_statement_count_independent_of_world_size(client, engine):
    rng = random.Random(7)
    users, venues = grow_world(client, rng, n_users=4, n_venues=5, n_interactions=40, edges_each=2)
    small = reco_statements(client, engine, users[0]["id"], venues[0]["id"])
    users_10x, venues_10x = grow_world(
        client, rng, n_users=36, n_venues=45, n_interactions=360, edges_each=20
    )
    big = reco_statements(client, engine, users_10x[0]["id"], venues_10x[0]["id"])
    # Sanity: the bigger world really is bigger for the user we ask about.
    assert len(client.get(f"/reco/people/{users_10x[0]['id']}", params={"limit": 100}).json()) >= 10
    assert small == big
    assert small[0] <= 6 and small[1] <= 8
    assert small[0] >= 1 and small[1] >= 1  # every read is seen
