"""What the booking agent needs from a reservation partner.

Every write carries an idempotency key, so a retried call can never book twice.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class BookingRequest:
    idempotency_key: str
    venue_id: uuid.UUID
    start_time: datetime
    party_size: int


@dataclass(frozen=True)
class ProviderBooking:
    external_ref: str


class ProviderRejected(Exception):
    """A permanent no (no availability, venue closed): retrying will not help."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ProviderUnavailable(Exception):
    """A transient failure (timeout, 5xx, lost connection): the same call may succeed later."""


class BookingProvider(Protocol):
    name: str

    def is_available(self, request: BookingRequest) -> tuple[bool, str | None]:
        """(can it book this?, why not). Asking books nothing, so it is safe to ask others."""
        ...

    def book(self, request: BookingRequest) -> ProviderBooking: ...

    def cancel(self, external_ref: str, idempotency_key: str) -> None: ...
