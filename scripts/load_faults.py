"""Mixed load against `luna serve --workers 2` on PostgreSQL, optionally with an outage.

A separate process drives an open-loop load at a steady rate (it does not slow down when the
server does): 60% reads (venue recommendations, a venue, the caller's plans), 30% interaction
writes, 10% plan create + confirm. Every write that got a 2xx is remembered and looked up in
the database at the end.

    uv run python scripts/load_faults.py --duration 300 --rate 150            # steady load
    uv run python scripts/load_faults.py --duration 60 --rate 100 --outage-at 20 --outage 10

With --outage-at, PostgreSQL itself is stopped (`pg_ctlcluster ... stop -m fast`) for
--outage seconds. It passes when every request answered while the database was down is a
503 with Retry-After within 1 s, no request in flight at any time of the outage took more
than 3 s, the first 2xx came within 2 s of the database accepting connections again, nothing
else failed, and no acknowledged write is missing.
Needs root on a machine whose PostgreSQL may be stopped (not in CI).
"""

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
from scratchdb import DEFAULT_ADMIN_URL, scratch_database
from sqlalchemy import create_engine, text

from luna.auth.tokens import issue_token
from luna.config import Settings
from luna.db import create_db_engine
from luna.demo import seed_demo
from luna.demo.catalog import USERS, VENUES
from luna.demo.seed import user_id, venue_id

SECRET = "load-secret-0123456789-0123456789-0123456"


@dataclass
class Outcome:
    started: float
    seconds: float
    status: int  # 0: transport error or timeout
    kind: str
    retry_after: str | None = None


@dataclass
class Ledger:
    outcomes: list[Outcome] = field(default_factory=list)
    interactions: set[str] = field(default_factory=set)
    plans: set[str] = field(default_factory=set)
    confirmed: set[str] = field(default_factory=set)


def pg_cluster(action: str) -> None:
    version = sorted(os.listdir("/etc/postgresql"))[0]
    subprocess.run(
        [
            "pg_ctlcluster",
            "--skip-systemctl-redirect",
            version,
            "main",
            action,
            *(["-m", "fast"] if action == "stop" else []),
        ],
        check=True,
    )


def rss_mib(pid: int) -> dict[int, float]:
    """Resident memory of a process and its children, MiB."""
    result = {}
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    result[p] = int(line.split()[1]) / 1024
        except FileNotFoundError:
            pass
    return result


async def one_request(
    client: httpx2.AsyncClient, ledger: Ledger, rng: random.Random, t0: float
) -> None:
    who = rng.choice(USERS)
    headers = {"Authorization": f"Bearer {TOKENS[who.handle]}"}
    me = str(user_id(who.handle))
    venue = str(venue_id(rng.choice(VENUES).key))
    draw = rng.random()
    started = time.monotonic()
    status, kind = 0, ""
    response: httpx2.Response | None = None
    try:
        if draw < 0.3:
            kind = "reco"
            response = await client.get(f"/reco/venues/{me}?limit=10", headers=headers)
            status = response.status_code
        elif draw < 0.45:
            kind = "venue"
            response = await client.get(f"/venues/{venue}", headers=headers)
            status = response.status_code
        elif draw < 0.6:
            kind = "plans"
            response = await client.get("/plans/", headers=headers)
            status = response.status_code
        elif draw < 0.9:
            kind = "interaction"
            body = {
                "user_id": me,
                "interaction_type": rng.choice(["view", "interest", "like"]),
                "dwell_time_seconds": rng.randint(0, 600),
            }
            response = await client.post(
                f"/venues/{venue}/interactions", json=body, headers=headers
            )
            status = response.status_code
            if status == 201:
                ledger.interactions.add(response.json()["id"])
        else:
            kind = "plan"
            body = {
                "organizer_id": me,
                "venue_id": venue,
                "start_time": "2099-06-01T20:00:00Z",
                "title": "load",
            }
            response = await client.post("/plans/", json=body, headers=headers)
            status = response.status_code
            if status == 201:
                plan = response.json()["id"]
                ledger.plans.add(plan)
                response = await client.post(f"/plans/{plan}/confirm", headers=headers)
                status = response.status_code
                if status == 200:
                    ledger.confirmed.add(plan)
    except httpx2.TransportError:
        status, response = 0, None
    retry_after = None if response is None else response.headers.get("Retry-After")
    ledger.outcomes.append(
        Outcome(started - t0, time.monotonic() - started, status, kind, retry_after)
    )


async def drive(
    base_url: str,
    rate: float,
    duration: float,
    outage_at: float | None,
    outage: float,
    server_pid: int,
) -> tuple[Ledger, list, float | None]:
    ledger, memory = Ledger(), []
    rng = random.Random(7)
    limits = httpx2.Limits(max_connections=64, max_keepalive_connections=64)
    t_up = None
    loop = asyncio.get_running_loop()
    async with httpx2.AsyncClient(base_url=base_url, timeout=10, limits=limits) as client:
        t0 = time.monotonic()
        tasks = []
        next_sample = 0.0
        outage_done = outage_at is None
        i = 0
        while (now := time.monotonic() - t0) < duration:
            if now >= next_sample:
                memory.append((round(now), rss_mib(server_pid)))
                next_sample += 10
            if not outage_done and now >= outage_at:
                outage_done = True

                def cycle() -> tuple[float, float, float, float]:
                    stopping = time.monotonic() - t0
                    pg_cluster("stop")
                    down = time.monotonic() - t0
                    time.sleep(outage)
                    restarting = time.monotonic() - t0
                    pg_cluster("start")
                    return stopping, down, restarting, time.monotonic() - t0

                async def run_outage() -> None:
                    nonlocal t_up
                    t_up = await loop.run_in_executor(None, cycle)

                tasks.append(asyncio.create_task(run_outage()))
            due = t0 + i / rate
            if due > time.monotonic():
                await asyncio.sleep(due - time.monotonic())
            tasks.append(asyncio.create_task(one_request(client, ledger, rng, t0)))
            i += 1
        await asyncio.gather(*tasks)
        memory.append((round(time.monotonic() - t0), rss_mib(server_pid)))
    return ledger, memory, t_up


def verify(url: str, ledger: Ledger) -> tuple[int, int, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found_interactions = conn.execute(
            text("SELECT count(*) FROM interactions WHERE id = ANY(CAST(:ids AS uuid[]))"),
            {"ids": list(ledger.interactions)},
        ).scalar_one()
        found_plans = conn.execute(
            text("SELECT count(*) FROM plans WHERE id = ANY(CAST(:ids AS uuid[]))"),
            {"ids": list(ledger.plans)},
        ).scalar_one()
        found_bookings = conn.execute(
            text(
                "SELECT count(*) FROM bookings WHERE status = 'booked' AND plan_id = ANY(CAST(:ids AS uuid[]))"
            ),
            {"ids": list(ledger.confirmed)},
        ).scalar_one()
    engine.dispose()
    return found_interactions, found_plans, found_bookings


def report(
    ledger: Ledger,
    memory: list,
    outage_times: tuple[float, float, float, float] | None,
    found: tuple[int, int, int],
) -> bool:
    ok = True
    statuses = Counter(o.status for o in ledger.outcomes)
    latencies = sorted(o.seconds * 1000 for o in ledger.outcomes if 200 <= o.status < 300)
    print(f"requests: {len(ledger.outcomes)}  statuses: {dict(sorted(statuses.items()))}")
    if latencies:
        p99 = latencies[int(len(latencies) * 0.99) - 1]
        print(
            f"2xx latency ms: median {statistics.median(latencies):.1f}  p99 {p99:.1f}  max {latencies[-1]:.1f}"
        )
    for at, rss in memory:
        print(
            f"  t={at:>4}s  rss MiB: "
            + "  ".join(f"{pid}:{mib:.0f}" for pid, mib in sorted(rss.items()))
        )
    if outage_times is None:
        server_errors = sum(n for s, n in statuses.items() if s >= 500 or s == 0)
        print(f"5xx or failed requests: {server_errors}")
        ok &= server_errors == 0
    else:
        t_stopping, t_down, t_restart, t_up = outage_times
        during = [
            o for o in ledger.outcomes if t_down <= o.started and o.started + o.seconds <= t_restart
        ]
        during_codes = Counter(o.status for o in during)
        slowest = max((o.seconds for o in during), default=0)
        without_retry_after = sum(1 for o in during if o.retry_after is None)
        caught = [
            o for o in ledger.outcomes if o.started < t_up and o.started + o.seconds > t_stopping
        ]
        slowest_caught = max((o.seconds for o in caught), default=0)
        print(
            f"database down from t={t_down:.1f}s to t={t_restart:.1f}s (back, accepting, at t={t_up:.1f}s)"
        )
        print(
            f"requests answered while it was down: {len(during)}, statuses {dict(during_codes)}, slowest {slowest * 1000:.0f} ms, without Retry-After {without_retry_after}"
        )
        print(
            f"requests in flight at some time of the outage: {len(caught)}, slowest {slowest_caught * 1000:.0f} ms"
        )
        for o in sorted(caught, key=lambda o: -o.seconds)[:5]:
            print(
                f"  {o.kind:12s} started t={o.started:.2f}s  took {o.seconds * 1000:.0f} ms  status {o.status}"
            )
        after = sorted(
            (o for o in ledger.outcomes if o.started >= t_up and 200 <= o.status < 300),
            key=lambda o: o.started,
        )
        recovery = after[0].started + after[0].seconds - t_up if after else float("inf")
        print(f"first 2xx completed {recovery:.2f} s after the database was back")
        outside = [
            o
            for o in ledger.outcomes
            if (o.status >= 500 or o.status == 0)
            and not (t_stopping <= o.started + o.seconds and o.started <= t_up + 2)
        ]
        print(f"5xx or failed requests outside the outage: {len(outside)}")
        ok &= set(during_codes) <= {503} and not without_retry_after and slowest <= 1
        ok &= slowest_caught <= 3 and recovery <= 2 and not outside
    wanted = (len(ledger.interactions), len(ledger.plans), len(ledger.confirmed))
    print(
        f"acknowledged writes found in the database: interactions {found[0]}/{wanted[0]}, plans {found[1]}/{wanted[1]}, bookings {found[2]}/{wanted[2]}"
    )
    ok &= found == wanted
    print("PASS" if ok else "FAIL")
    return ok


TOKENS: dict[str, str] = {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=300)
    parser.add_argument("--rate", type=float, default=150, help="requests per second")
    parser.add_argument("--outage-at", type=float, default=None, help="seconds into the run")
    parser.add_argument("--outage", type=float, default=10, help="seconds PostgreSQL stays down")
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--url", default=DEFAULT_ADMIN_URL, help="admin URL of a PostgreSQL server")
    parser.add_argument(
        "--server-log", default="/tmp/luna-load-server.log", help="where the server's logs go"
    )
    args = parser.parse_args()

    with scratch_database("luna_load", args.url) as url, open(args.server_log, "w") as server_log:
        settings = Settings(database_url=url, luna_jwt_secret=SECRET)
        engine = create_db_engine(settings)
        seed_demo(engine)
        engine.dispose()
        TOKENS.update({u.handle: issue_token(settings, user_id(u.handle)) for u in USERS})
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "LUNA_JWT_SECRET": SECRET,
            "LUNA_WRITE_RATE_LIMIT": "100000/minute",
            "LOG_LEVEL": "WARNING",
        }
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "luna"),
                "serve",
                "--workers",
                "2",
                "--port",
                str(args.port),
                "--no-demo",
            ],
            env=env,
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{args.port}"
        try:
            for _ in range(100):
                try:
                    if httpx2.get(f"{base_url}/health/ready", timeout=1).status_code == 200:
                        break
                except httpx2.TransportError:
                    pass
                time.sleep(0.2)
            ledger, memory, outage_times = asyncio.run(
                drive(base_url, args.rate, args.duration, args.outage_at, args.outage, server.pid)
            )
        finally:
            server.terminate()
            server.wait(timeout=60)
        ok = report(ledger, memory, outage_times, verify(url, ledger))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
