"""A fake reservation partner speaking the Luna partner protocol (see
luna/agent/providers/http.py), served on a loopback port, with faults to switch on."""

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse


@dataclass
class PartnerState:
    bookings: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    fail_next: int = 0  # answer this many requests with a 500
    slow_seconds: float = 0.0  # before every answer
    lose_answers_after_booking: int = 0  # book, then answer too late (the answer is "lost")
    lost_answer_delay: float = 2.0
    reject_reason: str | None = None  # no availability (and bookings refused)
    refuse_at_booking: str | None = None  # says available, then refuses the booking


def partner_app(state: PartnerState) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def faults(request: Request, call_next):  # type: ignore[no-untyped-def]
        state.calls.append(f"{request.method} {request.url.path}")
        if state.slow_seconds:
            await asyncio.sleep(state.slow_seconds)
        if state.fail_next > 0:
            state.fail_next -= 1
            return JSONResponse(status_code=500, content={"error": "injected"})
        return await call_next(request)

    @app.get("/availability")
    async def availability() -> dict[str, Any]:
        return {"available": state.reject_reason is None, "reason": state.reject_reason}

    @app.post("/bookings")
    async def book(body: dict[str, Any], idempotency_key: str = Header()) -> JSONResponse:
        refusal = state.reject_reason or state.refuse_at_booking
        if refusal:
            return JSONResponse(status_code=409, content={"reason": refusal})
        if idempotency_key in state.by_key:
            return JSONResponse(
                status_code=200, content=state.bookings[state.by_key[idempotency_key]]
            )
        booking = {"id": f"p-{uuid.uuid4().hex[:12]}", "status": "booked", **body}
        state.bookings[booking["id"]] = booking
        state.by_key[idempotency_key] = booking["id"]
        if state.lose_answers_after_booking > 0:
            state.lose_answers_after_booking -= 1
            await asyncio.sleep(state.lost_answer_delay)  # the client has given up by now
        return JSONResponse(status_code=201, content=booking)

    @app.get("/bookings/{booking_id}")
    async def get_booking(booking_id: str) -> JSONResponse:
        if booking_id not in state.bookings:
            return JSONResponse(status_code=404, content={"reason": "unknown booking"})
        return JSONResponse(content=state.bookings[booking_id])

    @app.post("/bookings/{booking_id}/cancel")
    async def cancel(booking_id: str, idempotency_key: str = Header()) -> JSONResponse:
        if booking_id not in state.bookings:
            return JSONResponse(status_code=404, content={"reason": "unknown booking"})
        state.bookings[booking_id]["status"] = "cancelled"
        return JSONResponse(content=state.bookings[booking_id])

    return app
