"""In-process provider: deterministic, with faults you can switch on for tests and demos."""

import threading
import time
import uuid
from collections import Counter

from luna.agent.providers.base import (
    BookingRequest,
    ProviderBooking,
    ProviderRejected,
    ProviderUnavailable,
)

_REF_NAMESPACE = uuid.UUID("6f1d3c1e-6a53-4c57-9b0e-2f5d1f0c9a11")


class MockProvider:
    """The same idempotency key always yields the same reference, so a retry is harmless.

    Faults (settings `LUNA_MOCK_*`): `latency_ms` before every answer; the first
    `transient_failures` calls for each idempotency key fail with ProviderUnavailable;
    `reject_reason`, when set, refuses every booking. It remembers what it booked and
    cancelled (per process) so tests can see what reached it.
    """

    name = "mock"

    def __init__(
        self, latency_ms: int = 0, transient_failures: int = 0, reject_reason: str | None = None
    ) -> None:
        self.latency_ms = latency_ms
        self.transient_failures = transient_failures
        self.reject_reason = reject_reason
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self.booked: dict[str, BookingRequest] = {}
        self.cancelled: set[str] = set()

    def is_available(self, request: BookingRequest) -> tuple[bool, str | None]:
        return self.reject_reason is None, self.reject_reason

    def book(self, request: BookingRequest) -> ProviderBooking:
        self._answer_after_faults(request.idempotency_key)
        if self.reject_reason:
            raise ProviderRejected(self.reject_reason)
        ref = f"mock-{uuid.uuid5(_REF_NAMESPACE, request.idempotency_key).hex}"
        with self._lock:
            self.booked.setdefault(ref, request)
        return ProviderBooking(external_ref=ref)

    def cancel(self, external_ref: str, idempotency_key: str) -> None:
        self._answer_after_faults(idempotency_key)
        with self._lock:
            self.cancelled.add(external_ref)

    def _answer_after_faults(self, key: str) -> None:
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        with self._lock:
            self._calls[key] += 1
            failing = self._calls[key] <= self.transient_failures
        if failing:
            raise ProviderUnavailable("mock provider: injected transient failure")
