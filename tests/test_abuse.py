"""Abuse limits: body size cap and per-user write rate limits (settings)."""

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from limits import parse

from luna.abuse import InProcessMovingWindow
from luna.auth.tokens import issue_token
from luna.config import Settings


@pytest.fixture
def limited(db_url: str, app_cache) -> Iterator[tuple[TestClient, Settings]]:
    settings = Settings(
        database_url=db_url,
        luna_env="test",
        luna_jwt_secret="abuse-test-secret-0123456789-0123456789",
        luna_write_rate_limit="3/minute",
        luna_max_body_bytes=4096,
    )
    with TestClient(app_cache.app(settings)) as client:
        yield client, settings


def test_writes_beyond_the_rate_limit_get_429_with_retry_after(limited):
    client, settings = limited
    me = uuid.uuid4()
    headers = {"Authorization": f"Bearer {issue_token(settings, me)}"}
    assert (
        client.post("/users/", json={"handle": "me", "name": "Me"}, headers=headers).status_code
        == 201
    )
    for name in ("A", "B"):
        assert client.patch(f"/users/{me}", json={"name": name}, headers=headers).status_code == 200
    refused = client.patch(f"/users/{me}", json={"name": "C"}, headers=headers)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "Too many requests" in refused.json()["detail"]
    # The refused write changed nothing; reads are not limited.
    for _ in range(5):
        assert client.get(f"/users/{me}", headers=headers).json()["name"] == "B"


def test_the_rate_limit_is_per_user(limited):
    client, settings = limited
    for _ in range(2):
        me = uuid.uuid4()
        headers = {"Authorization": f"Bearer {issue_token(settings, me)}"}
        for i in range(3):
            body = {"handle": f"u{me.hex[:8]}{i}", "name": "N"}
            expected = 201 if i == 0 else 409  # only the first may be theirs
            assert client.post("/users/", json=body, headers=headers).status_code == expected


def test_body_over_the_cap_is_413_and_changes_nothing(limited):
    client, settings = limited
    headers = {"Authorization": f"Bearer {issue_token(settings, uuid.uuid4())}"}
    response = client.post(
        "/users/",
        content=b'{"handle": "' + b"x" * 5000 + b'"}',
        headers=headers | {"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "Request body too large (limit 4096 bytes)"}
    assert client.get("/users/", headers=headers).json() == []


def test_chunked_body_over_the_cap_is_413(limited):
    client, settings = limited
    headers = {
        "Authorization": f"Bearer {issue_token(settings, uuid.uuid4())}",
        "content-type": "application/json",
    }

    def chunks() -> Iterator[bytes]:
        yield b'{"handle": "'
        for _ in range(10):
            yield b"y" * 1000
        yield b'"}'

    response = client.post("/users/", content=chunks(), headers=headers)
    assert response.status_code == 413


def test_bad_rate_limit_setting_is_refused():
    with pytest.raises(ValueError, match="not a rate limit"):
        Settings(luna_write_rate_limit="lots", _env_file=None)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_in_process_window_allows_the_limit_then_frees_a_place_as_hits_age():
    clock = FakeClock()
    window = InProcessMovingWindow(clock)
    three_a_minute = parse("3/minute")
    for second in (0, 10, 20):
        clock.now = 1000.0 + second
        assert window.hit(three_a_minute, "user:a")
    clock.now = 1030.0
    assert not window.hit(three_a_minute, "user:a")
    assert not window.hit(three_a_minute, "user:a")  # a refused hit does not count
    assert window.seconds_until_free(three_a_minute, "user:a") == pytest.approx(30.0)
    assert window.hit(three_a_minute, "user:b")  # per key
    clock.now = 1060.5  # the first hit (at 1000) has left the window, the others have not
    assert window.hit(three_a_minute, "user:a")
    assert not window.hit(three_a_minute, "user:a")
    assert window.seconds_until_free(three_a_minute, "user:a") == pytest.approx(9.5)


def test_in_process_window_forgets_keys_idle_for_a_whole_window():
    clock = FakeClock()
    window = InProcessMovingWindow(clock, sweep_every=5)
    per_minute = parse("100/minute")
    for i in range(4):
        assert window.hit(per_minute, f"user:{i}")
    clock.now += 61
    assert window.hit(per_minute, "user:active")  # the fifth hit sweeps
    assert window.tracked_keys() == 1
