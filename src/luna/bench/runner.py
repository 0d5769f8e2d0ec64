"""The benchmark: for each scale, generate (cached), import, serve, drive every route with wrk.

Per scale: the synthetic world is generated once and cached (`data_dir/<scale>-seed<seed>-v<n>`),
`luna import` of it is timed into a fresh PostgreSQL database, then `luna serve --workers N
--no-demo` runs with authentication on and a random `LUNA_JWT_SECRET`, and wrk drives each route
with one connection (single-client latency) and with `connections` connections (throughput,
p99). Requests carry the tokens of up to 2,000 different people, so per-user caches are not
trivially hit.
"""

import json
import os
import platform
import random
import secrets
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import text

from luna.auth.tokens import issue_token
from luna.bench import BENCH_WRITE_RATE_LIMIT, DEFAULT_SEED, synthetic
from luna.bench.database import DEFAULT_ADMIN_URL, scratch_database
from luna.bench.server import Server, rss_bytes, run_import
from luna.bench.wrk import Prepared, WrkResult, run_wrk, write_script, wrk_path
from luna.config import Settings
from luna.db import create_db_engine
from luna.migrate import upgrade

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


@dataclass
class BenchOptions:
    scales: list[str]
    out: Path = Path("bench-results")
    data_dir: Path = Path(".bench-data")
    database_url: str | None = None
    admin_url: str = DEFAULT_ADMIN_URL
    duration: int = 10
    warmup: int | None = None  # default: max(1, duration // 5)
    connections: int = 32
    workers: int = 2
    wrk_threads: int = 1
    seed: int = DEFAULT_SEED
    write_rate_limit: str = BENCH_WRITE_RATE_LIMIT
    merge: bool = False
    routes: tuple[Route, ...] = ROUTES

    @property
    def warmup_seconds(self) -> int:
        return self.warmup if self.warmup is not None else max(1, self.duration // 5)


@dataclass
class ScaleResult:
    name: str
    counts: dict[str, int]
    generate_seconds: float | None = None
    import_seconds: float | None = None
    worker_rss_bytes: list[int] = field(default_factory=list)
    postgresql: dict[str, str | int] = field(default_factory=dict)
    runs: list[dict] = field(default_factory=list)


def run_bench(options: BenchOptions, console: Console) -> dict:
    """Runs the benchmark and returns the results (also written to `out/bench.json`)."""
    wrk_path()  # fails early, with the install hint
    for name in options.scales:
        synthetic.get_scale(name)
    if options.database_url and len(options.scales) > 1:
        raise ValueError("--database-url takes one scale at a time (it is not emptied between)")
    options.out.mkdir(parents=True, exist_ok=True)
    (options.out / "logs").mkdir(exist_ok=True)
    results = _load_previous(options)
    results["meta"] = _meta(options)
    # Per scale: generate, import, serve; two modes per route.
    total = len(options.scales) * (3 + 2 * len(options.routes))
    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("benchmark", total=total)

        def step(description: str) -> None:
            progress.update(task, description=description)
            if not progress.console.is_terminal:  # a log file: one line per step
                progress.console.print(f"{datetime.now():%H:%M:%S} {description}")

        def advance() -> None:
            progress.advance(task)

        for name in options.scales:
            scale_result = _run_scale(options, name, step, advance, progress.console)
            results["scales"][name] = _as_dict(scale_result)
            _write_json(options.out / "bench.json", results)
    return results


def _run_scale(
    options: BenchOptions,
    name: str,
    step: Callable[[str], None],
    advance: Callable[[], None],
    console: Console,
) -> ScaleResult:
    scale = synthetic.get_scale(name)
    result = ScaleResult(name=name, counts=_counts(scale))
    step(f"{name}: generating the world")
    folder, result.generate_seconds = _generated(options, scale)
    advance()
    sample = synthetic.load_sample(folder)
    logs = options.out / "logs"
    with _database(options, name) as url:
        env = server_env(options, url)
        step(f"{name}: luna import")
        result.import_seconds = run_import(folder, env, logs / f"{name}-import.log")
        console.print(
            f"{name}: generated in {result.generate_seconds:.1f} s (0 = cached), "
            f"imported in {result.import_seconds:.1f} s"
        )
        advance()
        result.postgresql = _postgres_settings(url)
        if result.postgresql:
            console.print(
                "PostgreSQL " + ", ".join(f"{k} {result.postgresql[k]}" for k in POSTGRES_SETTINGS)
            )
        _warn_if_few_connections(result.postgresql, options.workers, console)
        requests = prepare_requests(options, name, sample, env["LUNA_JWT_SECRET"])
        reads = [r for r in options.routes if not r.write]
        writes = [r for r in options.routes if r.write]
        step(f"{name}: starting luna serve")
        with Server(env, options.workers, logs / f"{name}-serve.log") as server:
            advance()
            rss_seen: dict[int, int] = {}
            for route in [*reads, *writes]:
                result.runs += drive(options, name, route, server, requests[route.key], step)
                _note_rss(server, rss_seen)
                advance()
                advance()
            result.worker_rss_bytes = [rss_seen[pid] for pid in sorted(rss_seen)]
    return result


def drive(
    options: BenchOptions,
    scale: str,
    route: Route,
    server: Server,
    script: Path,
    step: Callable[[str], None] = lambda _description: None,
) -> list[dict]:
    """Warm up, then one connection, then `connections` connections."""
    label = f"{scale}: {route.key}"
    step(f"{label}: warming up")
    _preflight(server.base_url, script)
    if not route.write:
        _warm_workers(server.base_url, script)
    if not route.write and options.warmup_seconds > 0:
        run_wrk(
            server.base_url,
            script,
            seconds=options.warmup_seconds,
            connections=options.connections,
            threads=options.wrk_threads,
        )
        server.wait_idle()
    runs = []
    many = min(options.connections, route.max_connections or options.connections)
    seconds = max(options.duration, route.min_seconds)
    for mode, connections in (("single", 1), ("concurrent", many)):
        plural = "s" if connections > 1 else ""
        step(f"{label}: {connections} connection{plural}, {seconds} s")
        measured = run_wrk(
            server.base_url,
            script,
            seconds=seconds,
            connections=connections,
            threads=options.wrk_threads,
        )
        # Requests wrk gave up on at the end are still being served: let them finish.
        server.wait_idle()
        runs.append(_run_row(scale, route, mode, connections, measured))
    return runs


def _run_row(scale: str, route: Route, mode: str, connections: int, measured: WrkResult) -> dict:
    return {
        "scale": scale,
        "route": route.key,
        "label": route.label,
        "mode": mode,
        "connections": connections,
        "requests": measured.requests,
        "seconds": round(measured.seconds, 3),
        "requests_per_second": round(measured.ok_per_second, 1),
        "items_per_second": round(measured.ok_per_second * route.items_per_request, 1),
        "median_ms": round(measured.median_ms, 3),
        "p90_ms": round(measured.p90_ms, 3),
        "p99_ms": round(measured.p99_ms, 3),
        "mean_ms": round(measured.mean_ms, 3),
        "max_ms": round(measured.max_ms, 3),
        "errors": measured.errors,
    }


# Requests -------------------------------------------------------------------------------


def prepare_requests(
    options: BenchOptions, scale: str, sample: dict, secret: str
) -> dict[str, Path]:
    """One wrk script per route, with the sample's people and their own tokens."""
    settings = Settings(luna_jwt_secret=secret)
    users: list[str] = sample["user_ids"]
    venues: list[str] = sample["venue_ids"]
    tokens = [issue_token(settings, uuid.UUID(u)) for u in users]
    admin = issue_token(settings, ADMIN_SUBJECT, admin=True)
    rng = random.Random(options.seed)
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
    folder = options.out / "wrk" / scale
    return {
        key: write_script(folder, key, items, seed=options.seed) for key, items in prepared.items()
    }


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


def _first_request(script: Path) -> tuple[str, str, str, str]:
    with open(script.with_suffix(".tsv"), encoding="utf-8") as data:
        method, path, token, body = data.readline().rstrip("\n").split("\t", 3)
    return method, path, token, body


def _send(base_url: str, method: str, path: str, token: str, body: str) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(
        base_url + path, data=body.encode() if body else None, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=600) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _preflight(base_url: str, script: Path) -> None:
    """One request by hand first: a route that fails says why, instead of a wrk error count."""
    method, path, token, body = _first_request(script)
    status, answer = _send(base_url, method, path, token, body)
    if not 200 <= status < 300:
        raise RuntimeError(
            f"{method} {path} answered {status}: {answer[:500].decode(errors='replace')}"
        )


def _warm_workers(base_url: str, script: Path, parallel: int = 8) -> None:
    """A few concurrent requests (waited for, however long) so that every worker has built
    whatever it builds on first use before wrk's clock runs."""
    method, path, token, body = _first_request(script)
    with ThreadPoolExecutor(parallel) as pool:
        for _ in range(2):
            list(pool.map(lambda _: _send(base_url, method, path, token, body), range(parallel)))


def _note_rss(server: Server, seen: dict[int, int]) -> None:
    for pid in server.worker_pids():
        rss = rss_bytes(pid)
        if rss is not None:
            seen[pid] = max(seen.get(pid, 0), rss)


# Data, databases, environment -----------------------------------------------------------


def _counts(scale: synthetic.Scale) -> dict[str, int]:
    return {
        "users": scale.users,
        "venues": scale.venues,
        "interactions": scale.interactions,
        "social_edges": scale.edges,
    }


def _generated(options: BenchOptions, scale: synthetic.Scale) -> tuple[Path, float]:
    """The scale's files, generated unless cached; returns the folder and the seconds spent
    generating (0 for a cache hit)."""
    folder = options.data_dir / f"{scale.name}-seed{options.seed}-v{synthetic.GENERATOR_VERSION}"
    done = folder / ".complete"
    if done.exists():
        return folder, 0.0
    began = time.perf_counter()
    synthetic.generate(scale, folder, options.seed)
    seconds = time.perf_counter() - began
    done.write_text(f"{seconds:.3f}\n")
    return folder, seconds


@contextmanager
def _database(options: BenchOptions, scale: str) -> Iterator[str]:
    if options.database_url is None:
        with scratch_database(f"luna_bench_{scale.lower()}", options.admin_url) as url:
            yield url
        return
    engine = create_db_engine(Settings(database_url=options.database_url))
    try:
        upgrade(engine)
        with engine.connect() as conn:
            if conn.execute(text("SELECT count(*) FROM users")).scalar_one():
                raise ValueError("--database-url must name an empty database (it has users)")
    finally:
        engine.dispose()
    yield options.database_url


# What of PostgreSQL's configuration moves the figures; recorded with each scale.
POSTGRES_SETTINGS = ("server_version", "shared_buffers", "synchronous_commit", "max_connections")


def _postgres_settings(url: str) -> dict[str, str | int]:
    """The server's settings that matter here, and how many connections are free."""
    if not url.startswith(("postgresql", "postgres")):
        return {}
    engine = create_db_engine(Settings(database_url=url))
    try:
        with engine.connect() as conn:
            found: dict[str, str | int] = {
                name: conn.execute(text(f"SHOW {name}")).scalar_one() for name in POSTGRES_SETTINGS
            }
            found["free_connections"] = conn.execute(
                text(
                    "SELECT current_setting('max_connections')::int "
                    "- current_setting('superuser_reserved_connections')::int "
                    "- (SELECT count(*) FROM pg_stat_activity)"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    return found


def _warn_if_few_connections(postgres: dict, workers: int, console: Console) -> None:
    """Each worker may hold its engine's pool (luna.db); a server short of them answers 503."""
    settings = Settings()
    per_worker = settings.luna_db_pool_size + settings.luna_db_pool_overflow
    free = postgres.get("free_connections")
    if isinstance(free, int) and free < per_worker * workers + 5:
        console.print(
            f"[yellow]warning:[/yellow] PostgreSQL has {free} free connections; "
            f"{workers} workers may want {per_worker * workers}: expect 503s (errors) under load"
        )


def server_env(options: BenchOptions, url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        LUNA_AUTH="on",
        LUNA_ENV="development",
        LUNA_JWT_SECRET=secrets.token_urlsafe(36),
        LUNA_WRITE_RATE_LIMIT=options.write_rate_limit,
        LUNA_RATE_LIMIT_STORAGE="memory://",
        LUNA_SHUTDOWN_GRACE_SECONDS="2",
        # Warnings and errors only: a log line per request would be part of the measurement.
        LOG_LEVEL="WARNING",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # luna serve makes a fresh one per server
    return env


def _meta(options: BenchOptions) -> dict:
    return {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": _git_commit(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "duration_seconds": options.duration,
        "warmup_seconds": options.warmup_seconds,
        "connections": options.connections,
        "workers": options.workers,
        "wrk_threads": options.wrk_threads,
        "seed": options.seed,
        "write_rate_limit": options.write_rate_limit,
        "log_level": "WARNING",
        "routes": {route.key: route.label for route in options.routes},
    }


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def _load_previous(options: BenchOptions) -> dict:
    path = options.out / "bench.json"
    if options.merge and path.exists():
        previous = json.loads(path.read_text())
        previous.setdefault("scales", {})
        # Files written while the service had a reference engine also hold its runs.
        for scale in previous["scales"].values():
            scale["runs"] = [r for r in scale["runs"] if r.pop("engine", "default") == "default"]
            scale.pop("speedups", None)
        return previous
    return {"scales": {}}


def _as_dict(result: ScaleResult) -> dict:
    return {
        "counts": result.counts,
        "generate_seconds": result.generate_seconds,
        "import_seconds": result.import_seconds,
        "worker_rss_bytes": result.worker_rss_bytes,
        "postgresql": result.postgresql,
        "runs": result.runs,
    }


def _write_json(path: Path, results: dict) -> None:
    ordered = dict(results)
    ordered["scales"] = {
        name: results["scales"][name]
        for name in sorted(results["scales"], key=lambda n: list(synthetic.SCALES).index(n))
    }
    path.write_text(json.dumps(ordered, indent=2) + "\n")
