"""One route against a running server: a request by hand, a warm-up, then wrk with one
connection (single-client latency) and with many (throughput, p99)."""

import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from luna.bench.options import BenchOptions
from luna.bench.routes import Route
from luna.bench.server import Server, rss_bytes
from luna.bench.wrk import WrkResult, run_wrk


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


def note_rss(server: Server, seen: dict[int, int]) -> None:
    """The largest resident memory seen so far of each of the server's workers, into `seen`."""
    for pid in server.worker_pids():
        rss = rss_bytes(pid)
        if rss is not None:
            seen[pid] = max(seen.get(pid, 0), rss)


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
