"""In-process provider: books everything, deterministically."""

import threading
import uuid

from luna.agent.providers.base import BookingRequest, ProviderBooking

_REF_NAMESPACE = uuid.UUID("6f1d3c1e-6a53-4c57-9b0e-2f5d1f0c9a11")


class MockProvider:
    """The same idempotency key always yields the same reference, so a retry is harmless.

    It remembers what it booked and cancelled (per process) so tests can see what reached it.
    """

    name = "mock"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.booked: dict[str, BookingRequest] = {}
        self.cancelled: set[str] = set()

    def book(self, request: BookingRequest) -> ProviderBooking:
        ref = f"mock-{uuid.uuid5(_REF_NAMESPACE, request.idempotency_key).hex}"
        with self._lock:
            self.booked.setdefault(ref, request)
        return ProviderBooking(external_ref=ref)

    def cancel(self, external_ref: str, idempotency_key: str) -> None:
        with self._lock:
            self.cancelled.add(external_ref)
