"""Abuse limits: a cap on request bodies and per-user rate limits on writes.

Both are settings (LUNA_MAX_BODY_BYTES, LUNA_WRITE_RATE_LIMIT, LUNA_RATE_LIMIT_STORAGE).
The rate limiter counts in memory by default (per process); point LUNA_RATE_LIMIT_STORAGE at
Redis (`redis://127.0.0.1:6379`) so that several workers or machines share one count.
"""

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from fastapi import Request
from fastapi.responses import JSONResponse
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from luna.auth.dependencies import Caller
from luna.config import Settings
from luna.errors import LunaError


class TooManyRequests(LunaError):
    status_code = 429

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__("Too many requests: slow down and retry later")
        self.headers = {"Retry-After": str(retry_after_seconds)}


class BodySizeLimitMiddleware:
    """413 for a body over the cap, whether announced by Content-Length or streamed chunked."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(scope, receive, send)
            return
        received = 0
        rejected = False

        async def counting_receive() -> Message:
            nonlocal received, rejected
            message = await receive()
            if message["type"] == "http.request" and not rejected:
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Answer now, and tell the app the client is gone so it stops reading.
                    rejected = True
                    await self._reject(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not rejected:
                await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not rejected:
                raise

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"Request body too large (limit {self.max_bytes} bytes)"
        await JSONResponse(status_code=413, content={"detail": detail})(scope, receive, send)


class WriteRateLimiter:
    def __init__(self, settings: Settings) -> None:
        self.limit: RateLimitItem = parse(settings.luna_write_rate_limit)
        storage = settings.luna_rate_limit_storage
        self._window: MovingWindow = (
            InProcessMovingWindow()
            if storage.startswith("memory://")
            else SharedMovingWindow(storage)
        )

    def count_write(self, request: Request, caller: Caller) -> None:
        """Counts a write per user (per client address when nobody is signed in); called by
        the caller dependency (luna.auth.dependencies) on every write request."""
        client = request.client.host if request.client else "unknown"
        self.hit(f"user:{caller.user_id}" if caller.user_id else f"addr:{client}")

    def hit(self, key: str) -> None:
        if self._window.hit(self.limit, key):
            return
        raise TooManyRequests(max(1, math.ceil(self._window.seconds_until_free(self.limit, key))))


class MovingWindow(Protocol):
    def hit(self, limit: RateLimitItem, key: str) -> bool:
        """Counts a hit if the window has room for it; False if it has not."""
        ...

    def seconds_until_free(self, limit: RateLimitItem, key: str) -> float: ...


class SharedMovingWindow:
    """The `limits` library's moving window on a shared storage (Redis): one count for every
    worker and machine."""

    def __init__(self, storage: str) -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage))

    def hit(self, limit: RateLimitItem, key: str) -> bool:
        return self._limiter.hit(limit, key)

    def seconds_until_free(self, limit: RateLimitItem, key: str) -> float:
        reset_at, _remaining = self._limiter.get_window_stats(limit, key)
        return reset_at - time.time()


class InProcessMovingWindow:
    """The same moving window, counted in this process's memory. Not `limits`' memory
    storage: it starts a timer thread to expire entries every 10 ms of traffic, which cost
    0.6 ms of CPU per write here (a third of a logged interaction). Here a key's old hits go
    when the key is next hit, and keys idle for a whole window are swept every so often."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, sweep_every: int = 10_000
    ) -> None:
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._sweep_every = sweep_every  # hits
        self._until_sweep = sweep_every
        self._lock = threading.Lock()  # cheap, and right from any thread

    def hit(self, limit: RateLimitItem, key: str) -> bool:
        now = self._clock()
        window = limit.get_expiry()
        with self._lock:
            self._until_sweep -= 1
            if self._until_sweep <= 0:
                self._sweep(now - window)
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - window:
                hits.popleft()
            if len(hits) >= limit.amount:
                return False
            hits.append(now)
            return True

    def seconds_until_free(self, limit: RateLimitItem, key: str) -> float:
        with self._lock:
            hits = self._hits.get(key)
            if not hits or len(hits) < limit.amount:
                return 0.0
            # The hit that frees a place is the one `amount` back from the newest.
            return hits[-limit.amount] + limit.get_expiry() - self._clock()

    def tracked_keys(self) -> int:
        return len(self._hits)

    def _sweep(self, cutoff: float) -> None:
        self._until_sweep = self._sweep_every
        for key in [key for key, hits in self._hits.items() if not hits or hits[-1] <= cutoff]:
            del self._hits[key]
