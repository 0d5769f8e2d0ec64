"""Workers take turns at new connections (luna.serving): a burst of connections is shared out
evenly, each is served by the worker that accepted it, and a closed server stops accepting."""

import asyncio
import fcntl
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from luna.bench.server import Server
from luna.serving import (
    BOARD_ENV,
    AcceptBoard,
    TakeTurnsLoop,
    TakeTurnsServer,
    create_board_file,
)

BURST = 32


class NameTeller(asyncio.Protocol):
    """Answers whatever it receives with its server's name."""

    def __init__(self, name: bytes) -> None:
        self.name = name

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.transport.write(self.name)  # type: ignore[attr-defined]


class LoopInThread:
    """A TakeTurnsLoop running in a thread of its own, serving `sock` as one worker would."""

    def __init__(self, name: bytes, sock: socket.socket) -> None:
        self.loop = TakeTurnsLoop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server: TakeTurnsServer = self.run(
            self.loop.create_server(lambda: NameTeller(name), sock=sock, backlog=128)
        )

    def run(self, coroutine):  # type: ignore[no-untyped-def]
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    def stop(self) -> None:
        self.server.close()
        self.run(self.server.wait_closed())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture
def board_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The workers' board, as `luna serve --workers N` makes it."""
    path = str(tmp_path / "board")
    create_board_file(path, slots=4)
    monkeypatch.setenv(BOARD_ENV, path)
    return path


@pytest.fixture
def shared_socket() -> Iterator[socket.socket]:
    """Bound, not listening: what uvicorn hands its workers."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    yield sock
    sock.close()


def ask(port: int, connections: list[socket.socket]) -> list[bytes]:
    """Connects `BURST` clients at once, then asks each which server it reached."""
    for _ in range(BURST):
        connections.append(socket.create_connection(("127.0.0.1", port), timeout=10))
    names = []
    for connection in connections:
        connection.sendall(b"?")
        names.append(connection.recv(16))
    return names


def test_two_workers_share_a_burst_of_connections(shared_socket, board_file):
    port = shared_socket.getsockname()[1]
    workers = [LoopInThread(b"a", shared_socket), LoopInThread(b"b", shared_socket)]
    connections: list[socket.socket] = []
    try:
        names = Counter(ask(port, connections))
    finally:
        for connection in connections:
            connection.close()
        for worker in workers:
            worker.stop()
    assert set(names) == {b"a", b"b"}
    # Evenly, give or take a few (a plain event loop gave one worker most of the burst).
    assert all(abs(count - BURST // 2) <= 4 for count in names.values()), names


def test_a_closed_server_stops_accepting_and_its_thread_ends(shared_socket, board_file):
    port = shared_socket.getsockname()[1]
    worker = LoopInThread(b"a", shared_socket)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(b"?")
        assert connection.recv(16) == b"a"
    began = time.monotonic()
    worker.stop()
    assert not worker.server._thread.is_alive()
    assert time.monotonic() - began < 5  # within a poll interval or two, not forever


def test_a_worker_waits_for_a_worker_two_connections_behind(board_file):
    first, second = AcceptBoard(board_file), AcceptBoard(board_file)
    assert first.slot != second.slot
    first.add(1)  # one more: what an accept makes of two equals
    assert not first.should_wait() and not second.should_wait()
    first.add(1)
    assert first.should_wait() and not second.should_wait()  # the least busy never waits
    second.add(1)  # it took one: the turn has passed
    assert second.others() == [2] and first.others() == [1]
    assert not first.should_wait()
    second.add(3)
    assert second.should_wait() and not first.should_wait()


def test_a_board_alone_never_waits_and_a_gone_worker_no_longer_counts(board_file):
    """A slot is its owner's while the owner's process lives (the lock dies with it)."""
    board = AcceptBoard(board_file)
    board.add(5)
    assert not board.should_wait()  # no other worker
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from luna.serving import AcceptBoard; "
            f"b = AcceptBoard({board_file!r}); print(b.slot, flush=True); "
            "sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert int(child.stdout.readline()) != board.slot
        assert board.others() == [0] and board.should_wait()
    finally:
        child.kill()
        child.wait(timeout=10)
    assert board.others() == [] and not board.should_wait()


def test_the_loop_serves_host_and_port_as_asyncio_does():
    loop = TakeTurnsLoop()
    try:
        server = loop.run_until_complete(
            loop.create_server(lambda: NameTeller(b"x"), "127.0.0.1", 0)
        )
        assert not isinstance(server, TakeTurnsServer)
        port = server.sockets[0].getsockname()[1]

        async def ask_once() -> bytes:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"?")
            answer = await reader.read(16)
            writer.close()
            return answer

        assert loop.run_until_complete(ask_once()) == b"x"
        server.close()
        loop.run_until_complete(server.wait_closed())
    finally:
        loop.close()


def connections_per_process(port: int, pids: list[int]) -> Counter[int]:
    """How many established TCP connections on local `port` each process holds (Linux)."""
    established = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        if local_port == port and fields[3] == "01":  # TCP_ESTABLISHED
            established.add(fields[9])  # the socket's inode
    held: Counter[int] = Counter()
    for pid in pids:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in established:
                held[pid] += 1
    return held


def workers_on_board(path: str) -> int:
    """How many slots of a board are owned (locked), without taking one."""
    owned = 0
    slots = os.path.getsize(path) // 8  # a count of 8 bytes per slot, then a lock byte each
    with open(path, "rb") as board:
        for slot in range(slots):
            probe = struct.pack("hhqqi4x", fcntl.F_RDLCK, os.SEEK_SET, 8 * slots + slot, 1, 0)
            try:
                fcntl.fcntl(board.fileno(), fcntl.F_OFD_SETLK, probe)
            except OSError:
                owned += 1
    return owned


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc")
def test_luna_serve_workers_share_a_burst_of_connections(tmp_path):
    board = str(tmp_path / "board")
    create_board_file(board, slots=4)
    scratch = tmp_path / "tmp"  # where luna serve makes what its workers share
    scratch.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'luna.db'}",
        "LOG_LEVEL": "WARNING",
        "TMPDIR": str(scratch),
        BOARD_ENV: board,
    }
    with Server(env, workers=2, log_path=tmp_path / "serve.log") as server:
        deadline = time.monotonic() + 30
        while workers_on_board(board) < 2:  # both accepting (one may answer long before)
            assert time.monotonic() < deadline, "a worker never started accepting"
            time.sleep(0.05)
        connections: list[socket.socket] = []
        try:
            for _ in range(BURST):
                connections.append(socket.create_connection(("127.0.0.1", server.port), 10))
            for connection in connections:  # every connection answered, so every one accepted
                connection.sendall(b"GET /health/live HTTP/1.1\r\nHost: luna\r\n\r\n")
                assert connection.recv(4096).startswith(b"HTTP/1.1 200")
            held = connections_per_process(server.port, server.worker_pids())
        finally:
            for connection in connections:
                connection.close()
    assert sum(held.values()) == BURST
    assert len(held) == 2 and all(abs(n - BURST // 2) <= 4 for n in held.values()), held
    # Stopped, it leaves nothing of its own behind (its metrics folder), and the board it was
    # given in place.
    assert list(scratch.iterdir()) == [] and Path(board).exists()
