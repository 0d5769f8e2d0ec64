"""Server workers that take turns at new connections (`luna serve --workers N`, N > 1).

uvicorn's workers share one listening socket, and each worker's event loop accepts every
connection waiting when it wakes. A client that opens its connections at once (a proxy's or a
load generator's keep-alive pool) lands them mostly on one worker: at S3 of issue 4, wrk's 32
connections split 27/5, 23/9 or 32/0, and that worker's requests waited twice as long (p90
1.8x the median, p99 44-65 ms against 30-50 with the connections shared out evenly). Node's
cluster module hands connections out round-robin for the same reason.

Here each worker accepts in a thread of its own, blocked in accept(2): Linux wakes one such
waiter per connection, the one that has waited longest. A thread that has just accepted,
still running, would find the next connection of a burst queued and take it too, so the
workers count their open connections on a shared board (`AcceptBoard`, a small file every
worker maps), and a worker holding two more than another pauses after a connection, up to
5 ms, until that one has taken the next. The least busy worker never pauses, and a pause ends
as soon as the turn has passed, so connections that close after one request keep most of
their rate (3,540/s on the health route, where uvicorn's own accept served 6,250/s and a plain
5 ms pause after every connection ~400/s). The thread hands each connection to its event
loop. A closing worker accepts nothing more; the others take its turns.
"""

import asyncio
import fcntl
import logging
import mmap
import os
import socket
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

# How often a waiting accept(2) gives up to see whether its server is closing (SO_RCVTIMEO
# bounds accept too).
ACCEPT_POLL_SECONDS = 0.25
# After a connection, a worker two ahead of another waits at most this long for it to take
# the next (libuv once paused after each accept for the same reason: UV_TCP_SINGLE_ACCEPT),
# looking every _PAUSE_STEP_SECONDS whether it has.
ACCEPT_PAUSE_SECONDS = 0.005
_PAUSE_STEP_SECONDS = 0.0002
# Where `luna serve` tells its workers the board's file.
BOARD_ENV = "LUNA_ACCEPT_BOARD"
# A slot: the worker's open connections.
_SLOT = struct.Struct("q")
# struct flock on Linux (x86-64, arm64): type, whence, start, length, pid (0 for OFD locks).
_FLOCK = struct.Struct("hhqqi4x")


def _lock(fd: int, kind: int, at: int) -> bool:
    """An open-file-description lock on byte `at` (F_RDLCK, F_WRLCK or F_UNLCK): held per
    open file, not per process, so two boards of one process exclude each other too, and
    dropped when the file is closed, the process included. False: someone else holds it."""
    try:
        fcntl.fcntl(fd, fcntl.F_OFD_SETLK, _FLOCK.pack(kind, os.SEEK_SET, at, 1, 0))
    except OSError:
        return False
    return True


def create_board_file(path: str, slots: int) -> None:
    """The board's file with `slots` free slots (`luna serve`, before the workers start)."""
    with open(path, "wb") as out:
        out.write(bytes(_SLOT.size * slots))


class AcceptBoard:
    """Open connections per worker: slot i of the file holds worker i's count. A worker owns
    its slot by a lock on byte i past the slots, which the kernel drops when the process
    ends, so a slot whose lock is free is nobody's (its count no longer counts). Linux."""

    def __init__(self, path: str) -> None:
        self._fd = os.open(path, os.O_RDWR)
        # As many slots as the file holds: each accept looks at every one of them.
        self._slots = os.fstat(self._fd).st_size // _SLOT.size
        self._map = mmap.mmap(self._fd, _SLOT.size * self._slots)
        self._lock = threading.Lock()  # the accept thread adds, the event loop subtracts
        self.slot = self._claim()
        self._write(self.slot, 0)

    def _claim(self) -> int:
        for slot in range(self._slots):
            if _lock(self._fd, fcntl.F_WRLCK, self._lock_at(slot)):
                return slot
        raise RuntimeError(f"more than {self._slots} workers share the accept board")

    def _lock_at(self, slot: int) -> int:
        return _SLOT.size * self._slots + slot

    def _read(self, slot: int) -> int:
        count: int = _SLOT.unpack_from(self._map, _SLOT.size * slot)[0]
        return count

    def _write(self, slot: int, count: int) -> None:
        _SLOT.pack_into(self._map, _SLOT.size * slot, count)

    def add(self, change: int) -> None:
        with self._lock:
            self._write(self.slot, self._read(self.slot) + change)

    def mine(self) -> int:
        return self._read(self.slot)

    def others(self) -> list[int]:
        """The open connections of every other live worker."""
        return [
            self._read(slot)
            for slot in range(self._slots)
            if slot != self.slot and self._is_owned(slot)
        ]

    def _is_owned(self, slot: int) -> bool:
        if not _lock(self._fd, fcntl.F_RDLCK, self._lock_at(slot)):
            return True
        _lock(self._fd, fcntl.F_UNLCK, self._lock_at(slot))  # nobody's: give it back
        return False

    def should_wait(self) -> bool:
        """Whether another worker holds at least two connections fewer than this one: it
        should take the next connection. (One fewer is what accepting a connection makes of
        two equals.)"""
        mine = self.mine()
        return any(count + 1 < mine for count in self.others())


class _Counted(asyncio.Protocol):
    """The server's protocol, telling the board when its connection ends. (A protocol that
    replaces it on the transport, as a websocket upgrade's would, is not counted down: Luna
    serves no websockets.)"""

    def __init__(self, protocol: asyncio.Protocol, board: AcceptBoard) -> None:
        self._protocol = protocol
        self._board = board

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._protocol.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self._protocol.data_received(data)

    def eof_received(self) -> bool | None:
        return self._protocol.eof_received()

    def pause_writing(self) -> None:
        self._protocol.pause_writing()

    def resume_writing(self) -> None:
        self._protocol.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._board.add(-1)
        self._protocol.connection_lost(exc)


class TakeTurnsServer:
    """Accepts on `sock` in a thread and serves each connection in `loop`: what uvicorn
    needs of an asyncio.Server (close, wait_closed). Without a board (one worker) it accepts
    without pausing."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        protocol_factory: Callable[[], asyncio.BaseProtocol],
        sock: socket.socket,
        ssl: Any = None,
        backlog: int = 100,
        board: AcceptBoard | None = None,
    ) -> None:
        self._loop = loop
        self._protocol_factory = protocol_factory
        self._sock = sock
        self._ssl = ssl
        self._backlog = backlog
        self._board = board
        self._closing = threading.Event()
        self._connecting: set[asyncio.Task[Any]] = set()
        self._thread = threading.Thread(target=self._accept_forever, name="luna-accept")
        self._thread.daemon = True

    def start(self) -> None:
        # Blocking accept(2): only a waiter blocked in the call is woken alone, in turn (a
        # waiter in epoll is woken with every other). The socket is every worker's, and every
        # worker accepts this way.
        self._sock.listen(self._backlog)  # uvicorn binds; each worker listens (as asyncio does)
        self._sock.setblocking(True)
        seconds = int(ACCEPT_POLL_SECONDS)
        micros = int((ACCEPT_POLL_SECONDS - seconds) * 1_000_000)
        self._sock.setsockopt(
            socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", seconds, micros)
        )
        self._thread.start()

    def _accept_forever(self) -> None:
        board = self._board
        while not self._closing.is_set():
            try:
                connection, _ = self._sock.accept()
            except (BlockingIOError, InterruptedError, TimeoutError):
                continue  # the poll interval passed: look at _closing again
            except OSError:
                if self._closing.is_set():
                    return
                # Out of file descriptors, say: the connection waits in the backlog.
                logger.exception("accept failed")
                time.sleep(0.1)
                continue
            if board is not None:
                board.add(1)  # before the next accept: a burst sees it at once
            try:
                self._loop.call_soon_threadsafe(self._serve, connection)
            except RuntimeError:  # the loop is closed
                connection.close()
                return
            if board is not None:
                # The next connection is a less busy worker's, until it has taken one.
                deadline = time.monotonic() + ACCEPT_PAUSE_SECONDS
                while board.should_wait() and time.monotonic() < deadline:
                    time.sleep(_PAUSE_STEP_SECONDS)

    def _serve(self, connection: socket.socket) -> None:
        if self._closing.is_set():
            connection.close()
            self._count_gone()
            return
        connection.setblocking(False)
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        task = self._loop.create_task(
            self._loop.connect_accepted_socket(self._protocol, connection, ssl=self._ssl)
        )
        self._connecting.add(task)
        task.add_done_callback(self._connected)

    def _protocol(self) -> asyncio.BaseProtocol:
        protocol = self._protocol_factory()
        if self._board is None:
            return protocol
        return _Counted(protocol, self._board)  # type: ignore[arg-type]

    def _connected(self, task: asyncio.Task[Any]) -> None:
        self._connecting.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._count_gone()
            logger.warning("could not serve an accepted connection: %r", task.exception())

    def _count_gone(self) -> None:
        if self._board is not None:
            self._board.add(-1)

    def close(self) -> None:
        self._closing.set()

    async def wait_closed(self) -> None:
        await asyncio.to_thread(self._thread.join)


class _TakeTurns:
    """An event loop whose create_server(sock=...) takes turns with the other workers."""

    async def create_server(  # type: ignore[no-untyped-def]
        self,
        protocol_factory,
        host=None,
        port=None,
        *,
        sock=None,
        ssl=None,
        backlog=100,
        **kwargs,
    ):
        if sock is None or host is not None or port is not None:
            return await super().create_server(  # type: ignore[misc]
                protocol_factory, host, port, sock=sock, ssl=ssl, backlog=backlog, **kwargs
            )
        board_path = os.environ.get(BOARD_ENV)
        board = AcceptBoard(board_path) if board_path and hasattr(fcntl, "F_OFD_SETLK") else None
        server = TakeTurnsServer(self, protocol_factory, sock, ssl, backlog, board)  # type: ignore[arg-type]
        server.start()
        return server


try:
    from uvloop import Loop as _BaseLoop
except ImportError:  # pragma: no cover - uvicorn[standard] brings uvloop on Linux
    _BaseLoop = asyncio.SelectorEventLoop  # type: ignore[assignment,misc]


class TakeTurnsLoop(_TakeTurns, _BaseLoop):  # type: ignore[misc]
    """uvloop's event loop (asyncio's without uvloop) whose shared-socket servers take turns:
    uvicorn's `loop` setting "luna.serving:TakeTurnsLoop" (a custom loop is its factory)."""
