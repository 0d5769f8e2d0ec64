"""A reservation partner's REST API (the "Luna partner protocol", see README).

    GET  /availability?venue_id=&start_time=&party_size=   -> 200 {"available": bool, "reason"}
    POST /bookings   Idempotency-Key: <key>                 -> 201 {"id", "status": "booked"}
         body {"venue_id", "start_time", "party_size"}         (200 and the same booking when
                                                                the key was seen before)
                                                            -> 409 {"reason"}: refused for good
    GET  /bookings/{id}                                     -> 200 {"id", "status"}
    POST /bookings/{id}/cancel   Idempotency-Key: <key>     -> 200 {"id", "status": "cancelled"}

Timeouts, connection errors and 5xx are transient (ProviderUnavailable): the agent retries
with the same idempotency key, so a booking whose answer was lost is returned, not repeated.
"""

import httpx2

from luna.agent.providers.base import (
    BookingRequest,
    ProviderBooking,
    ProviderRejected,
    ProviderUnavailable,
)


class HttpProvider:
    name = "http"

    def __init__(
        self, base_url: str, timeout_seconds: float = 5.0, token: str | None = None
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx2.Client(base_url=base_url, timeout=timeout_seconds, headers=headers)

    @property
    def client(self) -> httpx2.Client:
        """The HTTP client (luna.observability.tracing instruments it)."""
        return self._client

    def is_available(self, request: BookingRequest) -> tuple[bool, str | None]:
        params = {
            "venue_id": str(request.venue_id),
            "start_time": request.start_time.isoformat(),
            "party_size": request.party_size,
        }
        body = self._call("GET", "/availability", params=params).json()
        return bool(body.get("available")), body.get("reason")

    def book(self, request: BookingRequest) -> ProviderBooking:
        payload = {
            "venue_id": str(request.venue_id),
            "start_time": request.start_time.isoformat(),
            "party_size": request.party_size,
        }
        response = self._call(
            "POST", "/bookings", json=payload, headers={"Idempotency-Key": request.idempotency_key}
        )
        return ProviderBooking(external_ref=str(response.json()["id"]))

    def cancel(self, external_ref: str, idempotency_key: str) -> None:
        self._call(
            "POST", f"/bookings/{external_ref}/cancel", headers={"Idempotency-Key": idempotency_key}
        )

    def _call(self, method: str, path: str, **kwargs: object) -> httpx2.Response:
        try:
            response = self._client.request(method, path, **kwargs)  # type: ignore[arg-type]
        except httpx2.TransportError as exc:  # timeouts, refused or dropped connections
            raise ProviderUnavailable(f"{type(exc).__name__} calling {path}") from exc
        if response.status_code >= 500:
            raise ProviderUnavailable(f"partner answered {response.status_code} on {path}")
        if response.status_code in (409, 422):
            raise ProviderRejected(_reason(response))
        if response.status_code >= 400:
            raise ProviderUnavailable(f"partner answered {response.status_code} on {path}")
        return response


def _reason(response: httpx2.Response) -> str:
    try:
        return str(response.json().get("reason") or "Refused by the booking partner")
    except ValueError:
        return "Refused by the booking partner"
