"""The benchmarked routes, and the requests wrk sends to each: the sample's people with their
own tokens (up to 2,000 of them, so per-user caches are not trivially hit)."""

import json
import random
import uuid
from dataclasses import dataclass
from pathlib import Path

from luna.auth.tokens import issue_token
from luna.bench.wrk import Prepared, write_script
from luna.config import Settings

BATCH_SIZE = 5000
BATCH_BODIES = 12
ADMIN_SUBJECT = uuid.UUID("00000000-0000-4000-8000-0000000be7c4")


@dataclass(frozen=True)
class Route:
    key: str
    label: str
    write: bool = False
    items_per_request: int = 1
    # A bulk client keeps a few batches in flight: 32 bodies of 700 KB at once would only
    # queue (each takes a while), and a run needs at least a few answers to say anything.
    max_connections: int | None = None
    min_seconds: int = 1


ROUTES = (
    Route("health", "GET /health/live"),
    Route("reco_venues", "GET /reco/venues/{user_id}?limit=10"),
    Route("reco_people", "GET /reco/people/{user_id}?venue_id=…&limit=10"),
    Route("interaction", "POST /venues/{venue_id}/interactions", write=True),
    Route(
        "batch",
        "POST /interactions/batch (5000 items)",
        write=True,
        items_per_request=BATCH_SIZE,
        max_connections=4,
        min_seconds=3,
    ),
)


def prepare_requests(folder: Path, sample: dict, secret: str, seed: int) -> dict[str, Path]:
    """One wrk script per route in `folder`, with the sample's people and their own tokens."""
    settings = Settings(luna_jwt_secret=secret)
    users: list[str] = sample["user_ids"]
    venues: list[str] = sample["venue_ids"]
    tokens = [issue_token(settings, uuid.UUID(u)) for u in users]
    admin = issue_token(settings, ADMIN_SUBJECT, admin=True)
    rng = random.Random(seed)
    kinds = ("view", "view", "view", "interest", "like")
    prepared: dict[str, list[Prepared]] = {
        "health": [Prepared("GET", "/health/live")],
        "reco_venues": [
            Prepared("GET", f"/reco/venues/{u}?limit=10", t)
            for u, t in zip(users, tokens, strict=True)
        ],
        "reco_people": [
            Prepared("GET", f"/reco/people/{u}?venue_id={v}&limit=10", t)
            for u, v, t in zip(users, venues, tokens, strict=True)
        ],
        "interaction": [
            Prepared(
                "POST",
                f"/venues/{v}/interactions",
                t,
                json.dumps(
                    {
                        "user_id": u,
                        "interaction_type": rng.choice(kinds),
                        "dwell_time_seconds": rng.randrange(600),
                    },
                    separators=(",", ":"),
                ),
            )
            for u, v, t in zip(users, venues, tokens, strict=True)
        ],
        # An ingestion client: an admin token, everyone's interactions mixed.
        "batch": [
            Prepared("POST", "/interactions/batch", admin, _batch_body(rng, users, venues, kinds))
            for _ in range(BATCH_BODIES)
        ],
    }
    return {key: write_script(folder, key, items, seed=seed) for key, items in prepared.items()}


def _batch_body(rng: random.Random, users: list[str], venues: list[str], kinds: tuple) -> str:
    items = [
        {
            "user_id": rng.choice(users),
            "venue_id": rng.choice(venues),
            "interaction_type": rng.choice(kinds),
            "dwell_time_seconds": rng.randrange(600),
        }
        for _ in range(BATCH_SIZE)
    ]
    return json.dumps({"interactions": items}, separators=(",", ":"))
