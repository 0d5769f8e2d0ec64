"""Booking jobs: confirm records the job with the state change, waits for the outcome (or
answers 202), the sweep re-delivers a job whose delivery was lost, and on PostgreSQL 50
simultaneous confirms through the queue give one provider booking."""

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from luna.agent.providers.registry import build_registry
from luna.agent.tasks import run_booking
from luna.config import Settings
from luna.db import create_db_engine
from luna.models import Booking, BookingJob
from tests.factories import plan_for
from tests.live import post_all_at_once


def wait_until(condition: Callable[[], object], seconds: float = 20) -> object:
    """Poll `condition` until it returns something truthy (and return it)."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition still false after {seconds}s")
        time.sleep(0.02)


@pytest.fixture
def luna(db_url, backend, app_cache):
    if backend == "postgresql":  # jobs left by earlier tests (their plans are gone)
        engine = create_db_engine(Settings(database_url=db_url))
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM procrastinate.procrastinate_jobs"))
        engine.dispose()

    @contextmanager
    def make(**overrides) -> Iterator[TestClient]:
        fields = {
            "database_url": db_url,
            "luna_auth": False,
            "luna_write_rate_limit": "100000/minute",
            "luna_booking_backoff_seconds": 0,
            "luna_booking_sweep_seconds": 0.1,
        }
        settings = Settings(**(fields | overrides))
        with TestClient(app_cache.app(settings)) as client:
            yield client

    return make


def plan_status(client, plan_id: str) -> str:
    return client.get(f"/plans/{plan_id}").json()["status"]


def outbox(db_session) -> list[tuple[str, int, str | None]]:
    db_session.rollback()  # a fresh snapshot
    jobs = db_session.scalars(select(BookingJob).order_by(BookingJob.id)).all()
    return [(str(j.plan_id), j.deliveries, j.outcome) for j in jobs]


def test_confirm_waits_for_the_job_and_answers_with_the_outcome(luna, db_session):
    with luna(luna_mock_latency_ms=100) as client:
        plan = plan_for(client)
        response = client.post(f"/plans/{plan['id']}/confirm")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "confirmed"
        assert body["booking"]["status"] == "booked"
    assert outbox(db_session) == [(plan["id"], 1, "confirmed")]


def test_without_waiting_confirm_answers_202_and_polling_reaches_confirmed(luna, db_session):
    with luna(luna_mock_latency_ms=700) as client:
        plan = plan_for(client)
        response = client.post(f"/plans/{plan['id']}/confirm", params={"wait": "false"})
        assert response.status_code == 202
        assert response.headers["location"] == f"/plans/{plan['id']}"
        body = response.json()
        assert body["id"] == plan["id"]
        assert body["status"] == "booking"
        assert client.get(f"/plans/{plan['id']}/booking").status_code == 404
        wait_until(lambda: plan_status(client, plan["id"]) == "confirmed")
        booking = client.get(f"/plans/{plan['id']}/booking").json()
        assert booking["status"] == "booked"
        mock = client.app.state.providers.get("mock")
        assert list(mock.booked) == [booking["external_ref"]]
        # Confirming again now answers at once with that booking.
        again = client.post(f"/plans/{plan['id']}/confirm", params={"wait": "false"})
        assert again.status_code == 200
        assert again.json()["booking_id"] == booking["id"]
    assert outbox(db_session) == [(plan["id"], 1, "confirmed")]


def test_confirm_answers_202_when_the_wait_runs_out(luna, backend):
    with luna(luna_mock_latency_ms=1500, luna_confirm_wait_seconds=0.2) as client:
        plan = plan_for(client)
        started = time.monotonic()
        response = client.post(f"/plans/{plan['id']}/confirm")
        elapsed = time.monotonic() - started
        assert response.status_code == 202
        assert response.json()["status"] == "booking"
        assert 0.2 <= elapsed < 1.4  # it waited, but not for the provider
        if backend == "postgresql":
            # A confirm while the job runs joins it: no second job, the same 202. (SQLite has
            # one writer: there a confirm waits until the job has written its outcome.)
            assert client.post(f"/plans/{plan['id']}/confirm").status_code == 202
        wait_until(lambda: plan_status(client, plan["id"]) == "confirmed")
        mock = client.app.state.providers.get("mock")
        assert len(mock.booked) == 1


def test_wait_must_be_a_boolean(luna):
    with luna() as client:
        plan = plan_for(client)
        response = client.post(f"/plans/{plan['id']}/confirm", params={"wait": "soon"})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["query", "wait"]
        assert plan_status(client, plan["id"]) == "pending"


def test_a_refused_confirm_records_no_job(luna, db_session, backend):
    with luna() as client:
        plan = plan_for(client)
        organizer = plan["organizer_id"]
        client.patch(f"/plans/{plan['id']}/participants/{organizer}", json={"status": "declined"})
        response = client.post(f"/plans/{plan['id']}/confirm")
        assert response.status_code == 409
        assert plan_status(client, plan["id"]) == "pending"
    assert outbox(db_session) == []
    if backend == "postgresql":
        assert queued_jobs(db_session) == 0


def queued_jobs(db_session) -> int:
    db_session.rollback()
    return db_session.scalar(text("SELECT count(*) FROM procrastinate.procrastinate_jobs"))


def test_the_job_is_queued_in_the_confirm_transaction(luna, db_session, backend):
    """PostgreSQL: the queue's job row commits with the plan's move to `booking`."""
    if backend != "postgresql":
        pytest.skip("the SQLite queue lives in the runner's memory")
    with luna(luna_jobs_in_process=False) as client:
        plan = plan_for(client)
        response = client.post(f"/plans/{plan['id']}/confirm", params={"wait": "false"})
        assert response.status_code == 202
        db_session.rollback()
        row = db_session.execute(
            text(
                "SELECT task_name, status, lock, queueing_lock, args->>'plan_id' "
                "FROM procrastinate.procrastinate_jobs"
            )
        ).one()
        lock = f"plan:{plan['id']}"
        assert tuple(row) == ("luna.book_plan", "todo", lock, lock, plan["id"])
        assert outbox(db_session) == [(plan["id"], 1, None)]


def test_queue_depth_counts_the_jobs_owed(luna):
    with luna(luna_jobs_in_process=False) as client:
        plan = plan_for(client)
        client.post(f"/plans/{plan['id']}/confirm", params={"wait": "false"})
        wait_until(lambda: queue_depth(client) == 1.0)
    with luna(luna_booking_redeliver_seconds=0) as client:  # a runner that runs jobs
        wait_until(lambda: plan_status(client, plan["id"]) == "confirmed")
        wait_until(lambda: queue_depth(client) == 0.0)


def queue_depth(client) -> float:
    metrics = client.get("/metrics").text
    line = next(x for x in metrics.splitlines() if x.startswith("luna_booking_queue_depth"))
    return float(line.split()[-1])


def test_the_sweep_redelivers_an_owed_job_that_is_not_queued(luna, db_session, backend):
    """The process died between commit and hand-over (SQLite: the in-memory queue is gone;
    PostgreSQL: the queued job was lost): the next runner's sweep queues it again."""
    with luna(luna_jobs_in_process=False) as client:
        plan = plan_for(client)
        response = client.post(f"/plans/{plan['id']}/confirm", params={"wait": "false"})
        assert response.status_code == 202
    if backend == "postgresql":
        with db_session.begin():
            db_session.execute(text("DELETE FROM procrastinate.procrastinate_jobs"))
    assert outbox(db_session) == [(plan["id"], 1, None)]
    with luna(luna_booking_redeliver_seconds=0) as client:
        wait_until(lambda: plan_status(client, plan["id"]) == "confirmed")
        mock = client.app.state.providers.get("mock")
        assert len(mock.booked) == 1
    assert outbox(db_session) == [(plan["id"], 2, "confirmed")]


def test_a_job_run_twice_books_once(luna, app_cache, db_url):
    """A second run of the job (a re-delivery after a crash) finds the plan decided."""
    with luna(luna_jobs_in_process=False) as client:
        plan = plan_for(client)
        client.post(f"/plans/{plan['id']}/confirm", params={"wait": "false"})
        app = client.app
    providers = build_registry(app.state.settings)
    outcomes = []
    for _ in range(2):
        with app.state.session_factory() as session, session.begin():
            outcomes.append(run_booking(session, uuid.UUID(plan["id"]), providers))
    assert outcomes == ["confirmed", "confirmed"]
    assert len(providers.get("mock").booked) == 1
    with app.state.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Booking)) == 1
        events = session.execute(text("SELECT count(*) FROM plan_events")).scalar()
    assert events == 5  # created, booking, available, booked, confirmed: nothing from run two


@pytest.mark.postgres_only
def test_fifty_concurrent_confirms_through_the_queue_make_one_provider_booking(
    luna, backend, db_session
):
    if backend != "postgresql":
        pytest.skip("PostgreSQL: row locks and a shared queue")
    callers = 50
    with luna(luna_mock_latency_ms=200) as client:
        plan = plan_for(client)
        app = client.app
    responses = post_all_at_once(app, f"/plans/{plan['id']}/confirm", callers)

    assert [r.status_code for r in responses] == [200] * callers
    bodies = [r.json() for r in responses]
    assert {b["booking_id"] for b in bodies} == {bodies[0]["booking_id"]}
    assert {b["status"] for b in bodies} == {"confirmed"}
    mock = app.state.providers.get("mock")
    assert list(mock.booked) == [bodies[0]["booking"]["external_ref"]]
    assert db_session.scalar(select(func.count()).select_from(Booking)) == 1
    assert outbox(db_session) == [(plan["id"], 1, "confirmed")]
