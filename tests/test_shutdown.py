"""Graceful shutdown: a request in flight when `luna serve` gets SIGTERM still completes."""

import os
import signal
import threading
import time
import uuid

import httpx2
import pytest
from sqlalchemy import create_engine, text

from luna.auth.tokens import issue_token
from luna.config import Settings
from tests.live import start_luna_serve

SECRET = "shutdown-secret-0123456789-0123456789-0123"


def test_in_flight_request_finishes_after_sigterm(db_url, backend):
    if backend != "postgresql":
        pytest.skip("needs a row lock held from outside the server (PostgreSQL)")
    settings = Settings(database_url=db_url, luna_jwt_secret=SECRET)
    admin = {"Authorization": f"Bearer {issue_token(settings, uuid.uuid4(), admin=True)}"}
    env = {**os.environ, "DATABASE_URL": db_url, "LUNA_JWT_SECRET": SECRET, "LUNA_ENV": "test"}
    process, base_url = start_luna_serve(env)
    try:
        organizer = httpx2.post(
            f"{base_url}/users/", json={"handle": "o", "name": "O"}, headers=admin
        ).json()
        venue = httpx2.post(
            f"{base_url}/venues/", json={"name": "V", "lat": 1, "lng": 1}, headers=admin
        ).json()
        plan = httpx2.post(
            f"{base_url}/plans/",
            json={
                "organizer_id": organizer["id"],
                "venue_id": venue["id"],
                "start_time": "2099-01-01T20:00:00Z",
            },
            headers=admin,
        ).json()

        # Hold the plan's row lock so that the confirm below is in flight for a while.
        blocker = create_engine(db_url)
        with blocker.connect() as conn:
            conn.execute(text("BEGIN"))
            conn.execute(text("SELECT id FROM plans WHERE id = :id FOR UPDATE"), {"id": plan["id"]})
            result: dict[str, httpx2.Response] = {}
            confirming = threading.Thread(
                target=lambda: result.setdefault(
                    "confirm",
                    httpx2.post(
                        f"{base_url}/plans/{plan['id']}/confirm", headers=admin, timeout=30
                    ),
                )
            )
            confirming.start()
            time.sleep(1.0)  # the request is now waiting on the lock inside the server
            process.send_signal(signal.SIGTERM)
            time.sleep(1.0)
            assert process.poll() is None, "the server quit with a request in flight"
            conn.execute(text("COMMIT"))
        blocker.dispose()
        confirming.join(timeout=30)
        assert result["confirm"].status_code == 200
        assert result["confirm"].json()["status"] == "confirmed"
        # granian's main process exits 0 once its workers have stopped.
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
