"""CPU per request of the hot routes, in-process: the ASGI app called directly (no server, no
client, no network), so the figure is the app's own cost, repeatable on a noisy machine.

    uv run python -m luna.bench.synthetic S3 /tmp/s3        # or any Luna bulk folder
    createdb -h 127.0.0.1 -U postgres luna_cpu
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/luna_cpu uv run luna migrate
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/luna_cpu uv run luna import /tmp/s3
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/luna_cpu \\
        uv run python scripts/hot_route_cpu.py --requests 2000

The write routes (interaction, batch) add rows to that database. `--routes venues-vibe` is
the venue route with `vibe=` (a random one of the vocabulary per request; run `luna vibes
refresh` first for stored profiles), `venues-auto` with `vibe=auto` and an `at`. Prints, per route, the
median over blocks of the process CPU time per request (every thread
of the process: the event loop and the worker threads) and of the wall time. Authentication
is on (a token per person), logging at WARNING as in `luna bench`. Compare two versions of
the code by running both, alternately, against the same database.
"""

import argparse
import asyncio
import json
import random
import statistics
import time
from typing import Any, NamedTuple

import uvloop
from sqlalchemy import text

from luna.app import create_app
from luna.auth.tokens import issue_token
from luna.bench.routes import ADMIN_SUBJECT as ADMIN
from luna.bench.routes import BATCH_SIZE
from luna.config import Settings
from luna.vibes.vocabulary import VIBE_NAMES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per route, after warm-up")
    parser.add_argument("--blocks", type=int, default=5, help="the median is over blocks")
    parser.add_argument("--routes", default="health,venues,people,interaction,batch")
    args = parser.parse_args()
    settings = Settings(
        luna_auth=True,
        luna_jwt_secret="x" * 40,
        log_level="WARNING",
        luna_write_rate_limit="1000000/second",
    )
    app = create_app(settings)
    with app.state.engine.connect() as conn:
        people = [row[0] for row in conn.execute(text("SELECT id FROM users LIMIT 500"))]
        venues = [row[0] for row in conn.execute(text("SELECT id FROM venues LIMIT 500"))]
    if not people or not venues:
        raise SystemExit("the database has no users or venues: import a world first")
    tokens = {person: issue_token(settings, person) for person in people}
    tokens[ADMIN] = issue_token(settings, ADMIN, admin=True)
    uvloop.run(measure(app, args, people, venues, tokens))


async def measure(
    app: Any, args: argparse.Namespace, people: list, venues: list, tokens: dict
) -> None:
    rng = random.Random(1)
    admin = tokens[ADMIN]

    def request(route: str) -> Request:
        person = rng.choice(people)
        if route == "venues":
            return Request(f"/reco/venues/{person}", "limit=10", tokens[person])
        if route == "venues-vibe":  # a mood, one of the vocabulary at random
            query = f"limit=10&vibe={rng.choice(VIBE_NAMES)}"
            return Request(f"/reco/venues/{person}", query, tokens[person])
        if route == "venues-auto":  # the person's usual vibe on a Friday evening
            query = "limit=10&vibe=auto&at=2026-12-04T21:00:00%2B00:00"
            return Request(f"/reco/venues/{person}", query, tokens[person])
        if route == "people":
            query = f"venue_id={rng.choice(venues)}&limit=10"
            return Request(f"/reco/people/{person}", query, tokens[person])
        if route == "interaction":
            body = {"user_id": str(person), "interaction_type": "like", "dwell_time_seconds": 60}
            path = f"/venues/{rng.choice(venues)}/interactions"
            return Request(path, "", tokens[person], "POST", json.dumps(body).encode())
        if route == "batch":
            items = [
                {
                    "user_id": str(rng.choice(people)),
                    "venue_id": str(rng.choice(venues)),
                    "interaction_type": "view",
                    "dwell_time_seconds": 30,
                }
                for _ in range(BATCH_SIZE)
            ]
            body = json.dumps({"interactions": items}).encode()
            return Request("/interactions/batch", "", admin, "POST", body)
        return Request("/health/live", "", tokens[person])

    async with app.router.lifespan_context(app):
        await asyncio.sleep(2)  # the venue index loads in the background (~2 s at S3)
        await call(app, request("venues"))  # the index is loaded by now, or here: not measured
        for route in args.routes.split(","):
            warmup, per_block = (200, max(1, args.requests // args.blocks))
            if route == "batch":  # each request is BATCH_SIZE items
                warmup, per_block = 2, max(1, args.requests // args.blocks // 100)
            for _ in range(warmup):
                status = await call(app, request(route))
                assert status in (200, 201), (route, status)
            cpu, wall = [], []
            for _ in range(args.blocks):
                began_cpu, began_wall = time.process_time(), time.perf_counter()
                for _ in range(per_block):
                    await call(app, request(route))
                cpu.append((time.process_time() - began_cpu) / per_block * 1000)
                wall.append((time.perf_counter() - began_wall) / per_block * 1000)
            print(
                f"{route:8s} CPU {statistics.median(cpu):.3f} ms/request, "
                f"wall {statistics.median(wall):.3f} ms/request"
            )


class Request(NamedTuple):
    path: str
    query: str
    token: str
    method: str = "GET"
    body: bytes = b""


async def call(app: Any, request: Request) -> int:
    headers = [(b"host", b"bench"), (b"authorization", f"Bearer {request.token}".encode())]
    if request.body:
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(request.body)).encode()),
        ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": "http",
        "path": request.path,
        "raw_path": request.path.encode(),
        "query_string": request.query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": request.body, "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return int(sent[0]["status"])


if __name__ == "__main__":
    main()
