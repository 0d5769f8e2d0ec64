"""Server workers that take turns at new connections (`luna serve --workers N`, N > 1).

uvicorn's workers share one listening socket, and each worker's event loop accepts every
connection waiting when it wakes. A client that opens its connections at once (a proxy's or a
load generator's keep-alive pool) lands them mostly on one worker: at S3 of issue 4, wrk's 32
connections split 27/5, 23/9 or 32/0, and that worker's requests waited twice as long (p90
1.8x the median, p99 44-65 ms against 30-50 with the connections shared out evenly). Node's
cluster module hands connections out round-robin for the same reason.

Here each worker accepts in a thread of its own, blocked in accept(2): Linux wakes one such
waiter per connection, the one that has waited longest. After each connection the thread
pauses a few milliseconds, or, still running, it would find the next one of a burst queued and
take it too. The thread hands each connection to its event loop. A closing worker accepts
nothing more; the others take its turns.
"""

import asyncio
import logging
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
# After each connection: another worker's turn (libuv once paused the same way, for the same
# reason: UV_TCP_SINGLE_ACCEPT).
ACCEPT_PAUSE_SECONDS = 0.005


class TakeTurnsServer:
    """Accepts on `sock` in a thread and serves each connection in `loop`: what uvicorn
    needs of an asyncio.Server (close, wait_closed)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        protocol_factory: Callable[[], asyncio.BaseProtocol],
        sock: socket.socket,
        ssl: Any = None,
        backlog: int = 100,
    ) -> None:
        self._loop = loop
        self._protocol_factory = protocol_factory
        self._sock = sock
        self._ssl = ssl
        self._backlog = backlog
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
            try:
                self._loop.call_soon_threadsafe(self._serve, connection)
            except RuntimeError:  # the loop is closed
                connection.close()
                return
            # Let the next connection of a burst go to another worker's waiting thread: this
            # one, still running, would otherwise find it queued and take it too.
            time.sleep(ACCEPT_PAUSE_SECONDS)

    def _serve(self, connection: socket.socket) -> None:
        if self._closing.is_set():
            connection.close()
            return
        connection.setblocking(False)
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        task = self._loop.create_task(
            self._loop.connect_accepted_socket(self._protocol_factory, connection, ssl=self._ssl)
        )
        self._connecting.add(task)
        task.add_done_callback(self._connected)

    def _connected(self, task: asyncio.Task[Any]) -> None:
        self._connecting.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.warning("could not serve an accepted connection: %r", task.exception())

    def close(self) -> None:
        self._closing.set()

    async def wait_closed(self) -> None:
        await asyncio.to_thread(self._thread.join)


class _TakeTurns:
    """An event loop whose create_server(sock=...) takes turns with the other workers."""

    async def create_server(  # type: ignore[no-untyped-def]
        self, protocol_factory, host=None, port=None, *, sock=None, ssl=None, backlog=100, **kwargs
    ):
        if sock is None or host is not None or port is not None:
            return await super().create_server(  # type: ignore[misc]
                protocol_factory, host, port, sock=sock, ssl=ssl, backlog=backlog, **kwargs
            )
        server = TakeTurnsServer(self, protocol_factory, sock, ssl, backlog)  # type: ignore[arg-type]
        server.start()
        return server


try:
    from uvloop import Loop as _BaseLoop
except ImportError:  # pragma: no cover - uvicorn[standard] brings uvloop on Linux
    _BaseLoop = asyncio.SelectorEventLoop  # type: ignore[assignment,misc]


class TakeTurnsLoop(_TakeTurns, _BaseLoop):  # type: ignore[misc]
    """uvloop's event loop (asyncio's without uvloop) whose shared-socket servers take turns:
    uvicorn's `loop` setting "luna.serving:TakeTurnsLoop" (a custom loop is its factory)."""
