"""`category_engagement` (the running totals the people recommender reads) always equals what
the interactions say, whichever way they were written or changed: the database keeps it
(triggers), so the people route equals the reference after every path, plain SQL included."""

import io
import random
import uuid
from pathlib import Path

from rich.console import Console
from sqlalchemy import Engine, Uuid, bindparam, select, text
from sqlalchemy.orm import Session

from luna.bulk import import_directory
from luna.interactions import consistency_repository
from luna.models import CategoryEngagement
from luna.models.base import UTCDateTime, utcnow, uuid7
from tests.factories import connect, create_user, create_venue, interact
from tests.reco.agreement import assert_people_match_everywhere


def stored(engine: Engine) -> dict[tuple[uuid.UUID, str], tuple[int, int]]:
    with Session(engine) as session:
        rows = session.execute(
            select(
                CategoryEngagement.user_id,
                CategoryEngagement.category,
                CategoryEngagement.positive_count,
                CategoryEngagement.dwell_seconds,
            )
        )
        return {(uid, cat): (pos, dwell) for uid, cat, pos, dwell in rows}


def recomputed(engine: Engine) -> dict[tuple[uuid.UUID, str], tuple[int, int]]:
    with Session(engine) as session:
        return consistency_repository.category_engagement_from_interactions(session)


def nonzero(totals: dict[tuple[uuid.UUID, str], tuple[int, int]]) -> dict:
    return {key: value for key, value in totals.items() if value != (0, 0)}


def assert_in_step(engine: Engine, client=None) -> None:
    # A row of zeros reads as no row (a category change deletes the zeros it leaves).
    assert nonzero(stored(engine)) == nonzero(recomputed(engine))
    if client is not None:
        assert_people_match_everywhere(client)


def test_every_write_path_keeps_the_totals_in_step(client, engine):
    rng = random.Random(7)
    users = [create_user(client) for _ in range(4)]
    for user in users:
        for other in users:
            if other is not user:
                connect(client, user["id"], other["id"], strength=rng.choice([0.2, 0.5, 0.9]))
    venues = [create_venue(client, category=c) for c in ("bar", "bar", "cafe", None)]
    for _ in range(12):
        interact(
            client,
            rng.choice(users)["id"],
            rng.choice(venues)["id"],
            rng.choice(["view", "interest", "like"]),
            dwell=rng.choice([0, 45, 300]),
        )
    assert_in_step(engine, client)
    assert stored(engine)  # something was counted

    items = [
        {
            "user_id": rng.choice(users)["id"],
            "venue_id": rng.choice(venues)["id"],
            "interaction_type": rng.choice(["view", "interest", "like"]),
            "dwell_time_seconds": rng.choice([0, 10, 700]),
        }
        for _ in range(80)  # repeated (user, category) pairs; enough rows for COPY
    ]
    assert client.post("/interactions/batch", json={"interactions": items}).status_code == 201
    assert_in_step(engine, client)
    stored_rows = sum(
        len(client.get(f"/users/{u['id']}/interactions", params={"limit": 1000}).json())
        for u in users
    )
    assert stored_rows == 12 + len(items)

    # A rejected batch changes nothing.
    before = stored(engine)
    bad = [*items[:3], {**items[0], "venue_id": str(uuid.uuid4())}]
    assert client.post("/interactions/batch", json={"interactions": bad}).status_code == 404
    assert stored(engine) == before

    # A venue changing category: to a new one, to one its visitors have totals in, losing
    # it, getting one.
    changes = ((venues[0], "club"), (venues[1], "cafe"), (venues[2], None), (venues[3], "cafe"))
    for venue, category in changes:
        response = client.patch(f"/venues/{venue['id']}", json={"category": category})
        assert response.status_code == 200, response.text
        assert_in_step(engine, client)

    # Deleting a person deletes their totals.
    gone = users[0]["id"]
    assert client.delete(f"/users/{gone}").status_code == 204
    assert all(uid != uuid.UUID(gone) for uid, _ in stored(engine))
    assert_in_step(engine, client)


def test_people_category_feature_reads_the_totals(client):
    me, friend = create_user(client), create_user(client)
    connect(client, me["id"], friend["id"], strength=0.5)
    bar, other_bar = create_venue(client, category="bar"), create_venue(client, category="bar")
    interact(client, friend["id"], other_bar["id"], "like", dwell=120)
    interact(client, friend["id"], other_bar["id"], "view", dwell=60)
    (got,) = client.get(f"/reco/people/{me['id']}", params={"venue_id": bar["id"]}).json()
    # 0.3 · 1 positive + 180 s / 600
    assert abs(got["features"]["category"] - (0.3 + 180 / 600)) < 1e-12
    client.patch(f"/venues/{other_bar['id']}", json={"category": "cafe"})
    (got,) = client.get(f"/reco/people/{me['id']}", params={"venue_id": bar["id"]}).json()
    assert got["features"]["category"] == 0.0


def write(folder: Path, stem: str, header: str, rows: list[str]) -> None:
    (folder / f"{stem}.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def test_import_keeps_the_totals_in_step(client, engine, tmp_path):
    user = create_user(client)
    bar = create_venue(client, category="bar")
    interact(client, user["id"], bar["id"], "like", dwell=30)
    newcomer, cafe = uuid.uuid4(), uuid.uuid4()
    folder = tmp_path / "first"
    folder.mkdir()
    write(folder, "users", "id,handle,name,age,home_lat,home_lng", [f"{newcomer},nc,New,,,"])
    write(
        folder,
        "venues",
        "id,name,description,category,lat,lng,price_level,rating",
        [f"{cafe},Cafe,,cafe,40.7,-73.9,,"],
    )
    write(
        folder,
        "interactions",
        "user_id,venue_id,interaction_type,dwell_time_seconds,occurred_at",
        [
            f"{user['id']},{bar['id']},interest,10,",
            f"{newcomer},{bar['id']},view,100,",
            f"{newcomer},{cafe},like,,",
        ],
    )
    import_directory(engine, folder, Console(file=io.StringIO()))
    assert_in_step(engine, client)
    assert stored(engine)[(uuid.UUID(user["id"]), "bar")] == (2, 40)

    # A re-import that moves the bar to another category.
    again = tmp_path / "second"
    again.mkdir()
    write(
        again,
        "venues",
        "id,name,description,category,lat,lng,price_level,rating",
        [f"{bar['id']},Bar,,pub,40.7,-73.9,,"],
    )
    import_directory(engine, again, Console(file=io.StringIO()))
    assert_in_step(engine, client)
    assert (uuid.UUID(user["id"]), "pub") in stored(engine)


# An operator's plain SQL, bypassing every Luna code path.
_INSERT = text(
    """
    INSERT INTO interactions
        (id, user_id, venue_id, interaction_type, dwell_time_seconds, occurred_at, created_at)
    VALUES (:id, :user_id, :venue_id, :kind, :dwell, :at, :at)
    """
).bindparams(
    bindparam("id", type_=Uuid()),
    bindparam("user_id", type_=Uuid()),
    bindparam("venue_id", type_=Uuid()),
    bindparam("at", type_=UTCDateTime()),
)


def plain_sql(engine: Engine, statement: str, **ids: str) -> int:
    """Runs `statement` with uuid parameters `ids`; returns the rows it touched."""
    params = {name: uuid.UUID(value) for name, value in ids.items()}
    typed = text(statement).bindparams(*(bindparam(name, type_=Uuid()) for name in ids))
    with engine.begin() as conn:
        return conn.execute(typed, params).rowcount


def test_plain_sql_keeps_the_people_score_right(client, engine):
    rng = random.Random(11)
    me, *friends = users = [create_user(client) for _ in range(4)]
    for friend in friends:
        connect(client, me["id"], friend["id"], strength=rng.choice([0.3, 0.6]))
        connect(client, friend["id"], me["id"], strength=0.5)
    venues = [create_venue(client, category=c) for c in ("bar", "bar", "cafe", "museum", None)]
    assert_in_step(engine, client)

    # INSERT, several rows in one statement's transaction and one row alone.
    rows = [
        {
            "id": uuid7(),
            "user_id": uuid.UUID(rng.choice(users)["id"]),
            "venue_id": uuid.UUID(rng.choice(venues)["id"]),
            "kind": rng.choice(["view", "interest", "like"]),
            "dwell": rng.choice([0, 40, 250]),
            "at": utcnow(),
        }
        for _ in range(30)
    ]
    with engine.begin() as conn:
        conn.execute(_INSERT, rows)
    assert_in_step(engine, client)
    assert stored(engine)

    # UPDATE of interactions: what they were leaves the totals, what they are joins them.
    touched = plain_sql(
        engine,
        "UPDATE interactions SET interaction_type = 'like', dwell_time_seconds = 500,"
        " venue_id = :venue WHERE user_id = :user",
        venue=venues[2]["id"],
        user=friends[0]["id"],
    )
    assert touched > 0
    assert_in_step(engine, client)

    # A venue's category changes, then is taken away.
    plain_sql(
        engine, "UPDATE venues SET category = 'cafe' WHERE id = :venue", venue=venues[0]["id"]
    )
    assert_in_step(engine, client)
    plain_sql(engine, "UPDATE venues SET category = NULL WHERE id = :venue", venue=venues[1]["id"])
    assert_in_step(engine, client)

    # DELETE of some interactions, of a venue (its interactions go by cascade), of a person.
    plain_sql(
        engine,
        "DELETE FROM interactions WHERE user_id = :user AND venue_id = :venue",
        user=friends[1]["id"],
        venue=venues[2]["id"],
    )
    assert_in_step(engine, client)
    assert plain_sql(engine, "DELETE FROM venues WHERE id = :venue", venue=venues[3]["id"]) == 1
    assert_in_step(engine, client)
    assert plain_sql(engine, "DELETE FROM users WHERE id = :user", user=friends[2]["id"]) == 1
    assert all(uid != uuid.UUID(friends[2]["id"]) for uid, _ in stored(engine))
    assert_in_step(engine, client)

    # And everything at once.
    plain_sql(engine, "DELETE FROM interactions WHERE user_id <> :user", user=me["id"])
    assert_in_step(engine, client)
