"""`luna serve` (and `luna import`) as child processes of the benchmark, and their memory."""

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

from luna.bench import BENCH_WRITE_RATE_LIMIT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def luna_command(*args: str) -> list[str]:
    """The `luna` CLI of this very interpreter (not whichever `luna` is on PATH)."""
    return [sys.executable, "-m", "luna.cli", *args]


def run_import(directory: Path, env: dict[str, str], log_path: Path) -> float:
    """`luna import DIR`; returns its wall-clock seconds (the process, start to end)."""
    with open(log_path, "w") as log:
        began = time.perf_counter()
        done = subprocess.run(
            luna_command("import", str(directory)), env=env, stdout=log, stderr=subprocess.STDOUT
        )
        seconds = time.perf_counter() - began
    if done.returncode != 0:
        tail = log_path.read_text()[-2000:]
        raise RuntimeError(f"luna import failed (exit {done.returncode}); log {log_path}:\n{tail}")
    return seconds


def server_env(database_url: str, write_rate_limit: str = BENCH_WRITE_RATE_LIMIT) -> dict[str, str]:
    """The benchmarked server's environment: authentication on, with a random secret."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        LUNA_AUTH="on",
        LUNA_ENV="development",
        LUNA_JWT_SECRET=secrets.token_urlsafe(36),
        LUNA_WRITE_RATE_LIMIT=write_rate_limit,
        LUNA_RATE_LIMIT_STORAGE="memory://",
        LUNA_SHUTDOWN_GRACE_SECONDS="2",
        # Warnings and errors only: a log line per request would be part of the measurement.
        LOG_LEVEL="WARNING",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # luna serve makes a fresh one per server
    return env


def add_checkout_option(parser: argparse.ArgumentParser) -> None:
    """--checkout NAME=PATH (repeatable): the Luna checkouts a comparison script serves, each
    one's `src` first on its server's PYTHONPATH."""
    parser.add_argument(
        "--checkout",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="a Luna checkout to serve (repeat to compare; default: the installed luna)",
    )


class Server:
    """`luna serve --workers N --no-demo` (or `--demo`) on a free loopback port."""

    def __init__(
        self, env: dict[str, str], workers: int, log_path: Path, *, demo: bool = False
    ) -> None:
        self.env = env
        self.workers = workers
        self.demo = demo
        self.log_path = log_path
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, ready_timeout: float = 600.0) -> None:
        self.launch()
        self.wait_ready(ready_timeout)

    def launch(self) -> None:
        """Starts the process without waiting for it to answer (see wait_ready)."""
        command = luna_command(
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--demo" if self.demo else "--no-demo",
        )
        log = open(self.log_path, "w")  # closed in stop()
        self._log = log
        # A session of its own: stop() ends the server and its workers as one group.
        self.process = subprocess.Popen(
            command, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_ready(self, ready_timeout: float = 600.0) -> None:
        """Until /health/ready answers 200 (the server may build what it needs first)."""
        assert self.process is not None, "launch() first"
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_path.read_text()[-2000:]
                raise RuntimeError(f"luna serve exited ({self.process.returncode}):\n{tail}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/health/ready", timeout=5) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"luna serve was not ready within {ready_timeout:.0f} s")

    def stop(self) -> None:
        process = self.process
        if process is None:
            return
        self.process = None
        stop_process_group(process, timeout=20)
        self._log.close()

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: the server's workers, which granian starts
        with multiprocessing's spawn (the server itself until they are there)."""
        if self.process is None:
            return []
        children = [
            pid
            for pid in _children(self.process.pid)
            if b"spawn_main" in _read(f"/proc/{pid}/cmdline")
        ]
        return children or [self.process.pid]

    def worker_rss_bytes(self) -> list[int]:
        return [rss for pid in self.worker_pids() if (rss := rss_bytes(pid)) is not None]

    def wait_idle(self, quiet_seconds: float = 0.3, timeout: float = 60.0) -> None:
        """Waits until the workers use no CPU for `quiet_seconds` (requests that a load run
        left behind are done), at most `timeout` seconds."""
        pids = self.worker_pids()
        deadline = time.monotonic() + timeout
        last = _cpu_ticks(pids)
        while time.monotonic() < deadline:
            time.sleep(quiet_seconds)
            now = _cpu_ticks(pids)
            # Two ticks (20 ms) of slack per worker: idle event loops wake up now and then.
            if now - last <= 2 * len(pids):
                return
            last = now

    def __enter__(self) -> "Server":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def _children(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        stat = _read(f"/proc/{entry}/stat")
        # Fields after the command (which may hold spaces) start after the last ')'.
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1 and int(fields[1]) == parent:
            found.append(int(entry))
    return sorted(found)


def _cpu_ticks(pids: list[int]) -> int:
    """User plus system CPU time of the processes, in clock ticks."""
    total = 0
    for pid in pids:
        stat = _read(f"/proc/{pid}/stat")
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 12:
            total += int(fields[11]) + int(fields[12])
    return total


def rss_bytes(pid: int) -> int | None:
    """Resident memory of a process (Linux /proc), or None when it is gone."""
    for line in _read(f"/proc/{pid}/status").splitlines():
        if line.startswith(b"VmRSS:"):
            return int(line.split()[1]) * 1024
    return None


def stop_process_group(process: subprocess.Popen, timeout: float) -> None:
    """SIGTERM to the process's group (a server and its workers), SIGKILL after `timeout`."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def socket_holders(inodes: set[str], pids: list[int]) -> Counter[int]:
    """How many of the sockets `inodes` (from /proc/net/tcp) each process holds (Linux)."""
    held: Counter[int] = Counter()
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                held[pid] += 1
    return held
