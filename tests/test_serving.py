"""`luna serve` on granian: with --workers 2 each worker listens on the port itself
(SO_REUSEPORT), so the kernel hands new connections to both; /metrics sums both workers;
SIGTERM stops the server cleanly and leaves no temporary files behind; a worker that dies is
replaced. A port another server listens on is refused (SO_REUSEPORT would let both share it),
and a host name still binds."""

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from luna.bench.server import Server, free_port, luna_command, socket_holders
from tests.live import wait_until_up

BURST = 32
LISTEN, ESTABLISHED = "0A", "01"  # TCP states in /proc/net/tcp


def sockets_on_port(port: int, state: str) -> dict[str, int]:
    """The TCP sockets on local `port` in `state` (Linux): inode -> remote port."""
    found = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == state:
            found[fields[9]] = int(fields[2].split(":")[1], 16)
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc")
def test_two_workers_each_listen_both_serve_and_the_server_stops_cleanly(tmp_path):
    scratch = tmp_path / "tmp"  # where luna serve makes what its workers share
    scratch.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'luna.db'}",
        "LOG_LEVEL": "WARNING",
        "TMPDIR": str(scratch),
    }
    server = Server(env, workers=2, log_path=tmp_path / "serve.log")
    server.start(ready_timeout=120)
    try:
        workers = server.worker_pids()
        assert len(workers) == 2
        # A listening socket per worker, none shared: the kernel picks a worker for each new
        # connection. (One worker may answer before the other listens.)
        deadline = time.monotonic() + 60
        while len(sockets_on_port(server.port, LISTEN)) < 2:
            assert time.monotonic() < deadline, "a worker never listened"
            time.sleep(0.05)
        listening = set(sockets_on_port(server.port, LISTEN))
        assert socket_holders(listening, workers) == dict.fromkeys(workers, 1)

        connections = [
            socket.create_connection(("127.0.0.1", server.port), 10) for _ in range(BURST)
        ]
        try:
            for connection in connections:
                connection.sendall(b"GET /health/live HTTP/1.1\r\nHost: luna\r\n\r\n")
            for connection in connections:
                assert connection.recv(4096).startswith(b"HTTP/1.1 200")
            clients = {connection.getsockname()[1] for connection in connections}
            ours = {
                inode
                for inode, client in sockets_on_port(server.port, ESTABLISHED).items()
                if client in clients
            }
            served = socket_holders(ours, workers)
        finally:
            for connection in connections:
                connection.close()
        assert sum(served.values()) == BURST
        # Both took some (all 32 on one worker: a chance of 2 in 2^32 with SO_REUSEPORT's hash).
        assert set(served) == set(workers), served

        # prometheus_client's multiprocess mode: the worker that answers counts both.
        with urllib.request.urlopen(f"{server.base_url}/metrics", timeout=10) as answer:
            metrics = answer.read().decode()
        counted = re.search(
            r'^http_requests_total\{handler="/health/live",method="GET",status="2xx"\} (\S+)$',
            metrics,
            re.MULTILINE,
        )
        assert counted is not None and float(counted.group(1)) == BURST

        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=60) == 0
    finally:
        server.stop()
    assert list(scratch.iterdir()) == []  # the metrics folder went with the server


def sqlite_env(tmp_path: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'luna.db'}",
        "LOG_LEVEL": "WARNING",
    }


def test_a_port_another_server_listens_on_is_refused(tmp_path):
    with socket.socket() as other:  # as another granian's worker listens
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        process = subprocess.Popen(
            luna_command("serve", "--port", str(port), "--no-demo"),
            env=sqlite_env(tmp_path),
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # a server that did start goes with its workers
        )
        try:
            _, errors = process.communicate(timeout=120)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    assert process.returncode == 1
    # One line, before anything else: no tokens, no "Luna on http://...".
    [line] = errors.strip().splitlines()
    assert line.startswith(f"Cannot listen on 127.0.0.1:{port}:"), errors


def test_a_host_name_is_resolved_before_binding(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        luna_command("serve", "--host", "localhost", "--port", str(port), "--no-demo"),
        env=sqlite_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}", process)
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 0


def test_a_worker_that_dies_is_replaced(tmp_path):
    server = Server(sqlite_env(tmp_path), workers=2, log_path=tmp_path / "serve.log")
    server.start(ready_timeout=120)
    try:
        killed = server.worker_pids()[0]
        os.kill(killed, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while True:
            workers = server.worker_pids()
            if len(workers) == 2 and killed not in workers:
                listening = set(sockets_on_port(server.port, LISTEN))
                if socket_holders(listening, workers) == dict.fromkeys(workers, 1):
                    break
            assert time.monotonic() < deadline, "the worker was not replaced"
            time.sleep(0.1)
        assert server.process is not None and server.process.poll() is None
    finally:
        server.stop()
