"""Latency of GET /reco/venues/{user_id}, learned ranker vs heuristic, on a real-size database.

    uv run python scripts/bench_learned_venues.py                     # NYC check-ins
    uv run python scripts/bench_learned_venues.py --world /tmp/s2 \\
        --model models/venue_ranker.json                              # any Luna bulk folder
    uv run python scripts/bench_learned_venues.py --database postgresql://.../db \\
        --model models/venue_ranker.json                              # already imported

Without --world: converts the Foursquare check-ins (`luna import-checkins`), imports them
into a scratch PostgreSQL database, trains the ranker there (`luna train`) and measures.
With --world: imports that folder (e.g. `python -m luna.bench.synthetic S2 /tmp/s2`) and
measures with --model (a model file is catalog-independent). With --database: measures that
database as it is (imported before, e.g. with `luna import`; nothing is written to it) with
--model. In-process (TestClient, one
request at a time, authentication off): per request, median and p95 over --requests random
people, after a warm-up; and the one-off context build of a window. With --server, instead:
`luna serve --workers 1` on the database and wrk with one connection for --seconds (random
requests among those people), as `luna bench` measures a single client; logging at WARNING
in both measures (a log line per request would be part of the measurement). --query adds
query parameters to every request, e.g. a moment and a place:
`--query "at=2012-12-14T21:00:00-05:00&near_lat=40.73&near_lng=-73.99"`.
"""

import argparse
import os
import random
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text

from luna.app import create_app
from luna.bench.database import scratch_database
from luna.bench.server import Server
from luna.bench.wrk import Prepared, run_wrk, write_script
from luna.config import RecoSettings, Settings
from luna.learning.data import DEFAULT_CHECKINS


def luna(url: str, *args: str) -> None:
    env = dict(os.environ, DATABASE_URL=url)
    subprocess.run(["uv", "run", "luna", *args], check=True, env=env)


BACKGROUND = ("venue-index-reload", "venue-model-warm-up", "venue-model-context")


def settle(timeout: float = 120.0) -> None:
    """Wait for the start-up loads of the venue index and the model's context (threads)
    to finish: they compete with the requests for the 2 cores."""
    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if thread.name in BACKGROUND:
            thread.join(max(0.0, deadline - time.monotonic()))


def measure(url: str, model: str, kind: str, requests: int, seed: int, query: str = "") -> dict:
    settings = Settings(
        database_url=url,
        luna_env="test",
        luna_auth=False,
        log_level="WARNING",
        luna_write_rate_limit="1000000/minute",
        luna_venue_model=kind,
        luna_venue_model_path=model,
        reco=RecoSettings(refresh_seconds=3600),
    )
    app = create_app(settings)
    with app.state.engine.connect() as conn:
        users = [str(u) for (u,) in conn.execute(text("SELECT id FROM users ORDER BY id"))]
        venues = conn.execute(text("SELECT count(*) FROM venues")).scalar_one()
        interactions = conn.execute(text("SELECT count(*) FROM interactions")).scalar_one()
    people = random.Random(seed).choices(users, k=requests)
    with TestClient(app) as client:
        time.sleep(2)  # the index warms in the background
        started = time.perf_counter()
        client.get(f"/reco/venues/{people[0]}")  # snapshot and (learned) context build
        first = time.perf_counter() - started
        settle()
        for user in people[:20]:
            client.get(f"/reco/venues/{user}")
        times = []
        for user in people:
            started = time.perf_counter()
            response = client.get(f"/reco/venues/{user}?limit=10&{query}")
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
    app.state.engine.dispose()
    times.sort()
    return {
        "model": kind,
        "venues": venues,
        "interactions": interactions,
        "first_request_ms": round(first * 1000, 1),
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(0.95 * len(times)) - 1], 2),
    }


def measure_server(
    url: str, model: str, kind: str, requests: int, seed: int, seconds: int, query: str = ""
) -> dict:
    """Single-client latency through a real server: wrk, one connection, `seconds`."""
    env = dict(
        os.environ,
        DATABASE_URL=url,
        LUNA_ENV="development",
        LUNA_AUTH="off",
        LOG_LEVEL="WARNING",
        LUNA_VENUE_MODEL=kind,
        LUNA_VENUE_MODEL_PATH=str(Path(model).resolve()),
        LUNA_RECO_REFRESH_SECONDS="3600",
    )
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    with engine.connect() as conn:
        users = [str(u) for (u,) in conn.execute(text("SELECT id FROM users ORDER BY id"))]
    engine.dispose()
    people = random.Random(seed).choices(users, k=requests)
    with tempfile.TemporaryDirectory() as tmp, Server(env, 1, Path(tmp) / "serve.log") as server:
        started = time.perf_counter()
        # The first request waits for the venue index and the model's context.
        first = f"{server.base_url}/reco/venues/{people[0]}"
        with urllib.request.urlopen(first, timeout=600) as answer:
            assert answer.status == 200
        first_ms = (time.perf_counter() - started) * 1000
        server.wait_idle()
        prepared = [Prepared("GET", f"/reco/venues/{user}?limit=10&{query}") for user in people]
        script = write_script(Path(tmp), "venues", prepared, seed)
        run_wrk(server.base_url, script, seconds=2, connections=1)  # warm-up
        result = run_wrk(server.base_url, script, seconds=seconds, connections=1)
    assert not any(result.errors.values()), result.errors
    return {
        "model": kind,
        "server": "luna serve --workers 1, wrk -c1",
        "requests": result.requests,
        "first_request_ms": round(first_ms, 1),
        "median_ms": round(result.median_ms, 2),
        "p90_ms": round(result.p90_ms, 2),
        "p99_ms": round(result.p99_ms, 2),
    }


def measure_both(url: str, model: str, args: argparse.Namespace) -> None:
    for kind in ("heuristic", "learned"):
        if args.server:
            found = measure_server(
                url, model, kind, args.requests, args.seed, args.seconds, args.query
            )
        else:
            found = measure(url, model, kind, args.requests, args.seed, args.query)
        print(found, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path, help="a Luna bulk folder (default: NYC check-ins)")
    parser.add_argument("--database", help="measure this imported database (needs --model)")
    parser.add_argument("--model", help="model file (default: trained on the imported world)")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--server", action="store_true", help="through luna serve and wrk")
    parser.add_argument("--seconds", type=int, default=10, help="wrk's run (--server)")
    parser.add_argument("--query", default="", help="more query parameters for every request")
    args = parser.parse_args()
    if args.database:
        if not args.model:
            parser.error("--database needs --model")
        measure_both(args.database, args.model, args)
        return
    with tempfile.TemporaryDirectory() as tmp, scratch_database("luna_learned_bench") as url:
        world = args.world
        if world is None:
            world = Path(tmp) / "checkins"
            subprocess.run(
                [
                    "uv",
                    "run",
                    "luna",
                    "import-checkins",
                    str(DEFAULT_CHECKINS),
                    "--out",
                    str(world),
                ],
                check=True,
            )
        luna(url, "import", str(world))
        model = args.model
        if model is None:
            model = str(Path(tmp) / "venue_ranker.json")
            luna(url, "train", "--out", model)
        measure_both(url, model, args)


if __name__ == "__main__":
    main()
