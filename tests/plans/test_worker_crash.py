"""A `luna worker` process killed with SIGKILL while the partner is booking, then restarted,
finishes the job: exactly one booking at the partner and in the database (PostgreSQL)."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from luna.config import Settings
from luna.db import create_db_engine
from luna.models import Booking, BookingJob
from tests.factories import create_plan, create_user, create_venue
from tests.live import serve_in_thread
from tests.partner import PartnerState, partner_app
from tests.plans.test_booking_jobs import wait_until

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def partner() -> Iterator[tuple[PartnerState, str]]:
    state = PartnerState()
    with serve_in_thread(partner_app(state)) as url:
        yield state, url


def start_worker(db_url: str, partner_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "DATABASE_URL": db_url,
        "LUNA_DEFAULT_PROVIDER": "http",
        "LUNA_HTTP_PROVIDER_URL": partner_url,
        "LUNA_HTTP_PROVIDER_TIMEOUT_SECONDS": "30",  # it waits for the lost answer
        "LUNA_BOOKING_BACKOFF_SECONDS": "0",
        "LUNA_WORKER_HEARTBEAT_SECONDS": "0.5",
        "LUNA_WORKER_STALLED_SECONDS": "2",
        "LUNA_BOOKING_SWEEP_SECONDS": "0.5",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "luna.cli", "worker"], env=env, stdout=out, stderr=out
        )


def test_a_worker_killed_in_the_provider_call_is_replaced_and_books_once(
    backend, db_url, app_cache, partner, tmp_path
):
    if backend != "postgresql":
        pytest.skip("workers on several processes need PostgreSQL")
    state, partner_url = partner
    engine = create_db_engine(Settings(database_url=db_url))
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM procrastinate.procrastinate_jobs"))
    # The partner books, then holds its answer: the worker is killed while waiting for it.
    state.lose_answers_after_booking = 1
    state.lost_answer_delay = 8
    settings = Settings(
        database_url=db_url,
        luna_auth=False,
        luna_write_rate_limit="100000/minute",
        luna_jobs_in_process=False,  # only the `luna worker` processes run jobs
        luna_default_provider="http",
        luna_http_provider_url=partner_url,
    )
    log = tmp_path / "worker.log"
    workers = []
    try:
        with TestClient(app_cache.app(settings)) as client:
            organizer, venue = create_user(client), create_venue(client)
            plan = create_plan(client, organizer["id"], venue["id"])
            workers.append(start_worker(db_url, partner_url, log))
            response = client.post(f"/plans/{plan['id']}/confirm", params={"wait": "false"})
            assert response.status_code == 202

            wait_until(lambda: len(state.bookings) == 1, seconds=60)  # booked, answer pending
            workers[0].send_signal(signal.SIGKILL)
            assert workers[0].wait(timeout=10) == -signal.SIGKILL
            killed_at = time.monotonic()
            assert client.get(f"/plans/{plan['id']}").json()["status"] == "booking"

            workers.append(start_worker(db_url, partner_url, log))
            wait_until(
                lambda: client.get(f"/plans/{plan['id']}").json()["status"] == "confirmed",
                seconds=60,
            )
            recovered_in = time.monotonic() - killed_at
            booking = client.get(f"/plans/{plan['id']}/booking").json()
            events = client.get(f"/plans/{plan['id']}/events").json()
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)
    print(f"recovered {recovered_in:.2f}s after the SIGKILL")
    # One booking at the partner: the second run sent the same idempotency key.
    assert len(state.bookings) == 1
    assert state.calls.count("POST /bookings") == 2
    assert booking["external_ref"] in state.bookings
    assert booking["status"] == "booked"
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Booking)) == 1
        job = conn.execute(select(BookingJob.outcome, BookingJob.done_at)).one()
    engine.dispose()
    assert job.outcome == "confirmed" and job.done_at is not None
    # The killed run's transaction died with it; the timeline holds the run that finished.
    calls = [e["outcome"] for e in events if e["kind"] == "provider_call"]
    assert calls == ["available", "booked"]
