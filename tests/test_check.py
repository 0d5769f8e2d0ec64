"""`luna check`: derived tables against a recount; `--fix` repairs; non-zero on a difference."""

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, Uuid, bindparam, text
from typer.testing import CliRunner

from luna import cli
from luna.cli import app as cli_app
from luna.config import get_settings
from tests.factories import create_user, create_venue, interact


@pytest.fixture
def luna(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """Runs `luna ARGS` on the test's database; returns (exit code, output)."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("LUNA_RECO_REFRESH_SECONDS", "60")
    monkeypatch.setattr(cli.console, "width", 200)  # whole ids in the table
    get_settings.cache_clear()

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli_app, list(args))
        return result.exit_code, result.output

    yield run
    get_settings.cache_clear()


def tamper(engine: Engine, statement: str, **ids: uuid.UUID) -> None:
    typed = text(statement).bindparams(*(bindparam(name, type_=Uuid()) for name in ids))
    with engine.begin() as conn:
        conn.execute(typed, ids)


def test_check_finds_and_fixes_drift(client, engine, luna):
    me = create_user(client)
    bar, cafe = create_venue(client, category="bar"), create_venue(client, category="cafe")
    interact(client, me["id"], bar["id"], "like", dwell=30)
    interact(client, me["id"], cafe["id"], "view", dwell=5)
    assert luna("check") == (0, "Every derived table equals its recount.\n")

    # Drift only a bug or a hand edit of the derived tables could leave: a total off, a
    # total missing, and a stored popularity window that counts a like nobody gave.
    user = uuid.UUID(me["id"])
    tamper(
        engine,
        "UPDATE category_engagement SET positive_count = 7 WHERE user_id = :user"
        " AND category = 'bar'",
        user=user,
    )
    tamper(
        engine,
        "DELETE FROM category_engagement WHERE user_id = :user AND category = 'cafe'",
        user=user,
    )
    window = {"index": 10**9 // 60, "counts": f'{{"{uuid.UUID(cafe["id"]).hex}": 3}}'}
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO popularity_windows (window_index, counts) VALUES (:index, :counts)"),
            window,
        )

    code, output = luna("check")
    assert code == 1
    assert (
        f"{me['id']} bar" in output
        and "7 positive, 30 s" in output
        and "1 positive, 30 s" in output
    )
    assert (
        f"{me['id']} cafe" in output and "0 positive, 0 s" in output and "0 positive, 5 s" in output
    )
    assert f"venue {cafe['id']}" in output

    code, output = luna("check", "--fix")
    assert code == 1 and "Repaired" in output
    assert luna("check") == (0, "Every derived table equals its recount.\n")
    people = client.get(f"/reco/people/{me['id']}", params={"venue_id": bar["id"]})
    assert people.status_code == 200
