"""Real servers on loopback ports, for tests that need real concurrency (many simultaneous
connections) or real processes rather than the in-process TestClient: uvicorn in a background
thread, or `luna serve` as a subprocess."""

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx2
import uvicorn
from fastapi import FastAPI

from luna.bench.server import Server, free_port


@contextmanager
def serve_in_thread(app: FastAPI) -> Iterator[str]:
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def post_all_at_once(app: FastAPI, path: str, callers: int) -> list[httpx2.Response]:
    """`callers` clients POST to `path` of `app` (served for real) at the same moment, each on
    its own connection; their responses in caller order."""
    start = threading.Barrier(callers)
    with serve_in_thread(app) as base_url:

        def post(_: int) -> httpx2.Response:
            with httpx2.Client(base_url=base_url, timeout=60) as http:
                start.wait()
                return http.post(path)

        with ThreadPoolExecutor(callers) as pool:
            return list(pool.map(post, range(callers)))


def start_luna_serve(env: Mapping[str, str]) -> tuple[subprocess.Popen[str], str]:
    """`luna serve --no-demo` on a free port, answering: (the process, its base URL). The
    caller stops it."""
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "luna"), "serve", "--port", str(port), "--no-demo"],
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base_url, process)
    except BaseException:
        process.kill()
        raise
    return process, base_url


def wait_until_up(base_url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.stdout.read() if process.stdout else "server exited")
        try:
            if httpx2.get(f"{base_url}/health/live", timeout=1).status_code == 200:
                return
        except httpx2.TransportError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def leaves_the_machine(url: str) -> bool:
    """A request to a network host other than this one (data: and blob: URLs stay inside)."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS


@contextmanager
def luna_serve_demo(folder: Path, **extra_env: str) -> Iterator[tuple[str, Path]]:
    """`luna serve --demo` on a fresh SQLite database in `folder`, signing with the
    development secret, until it is ready: (its base URL, its log file). Stopped on exit."""
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("LUNA_JWT_SECRET", "LUNA_ENV", "LUNA_MAP_TILES_URL")
        },
        "DATABASE_URL": f"sqlite:///{folder / 'luna.db'}",
        "LOG_LEVEL": "WARNING",
        **extra_env,
    }
    with Server(env, 1, folder / "serve.log", demo=True) as server:
        yield server.base_url, server.log_path
