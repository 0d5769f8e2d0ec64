"""Errors that carry their HTTP status; `install_error_handlers` renders them.

Domain code raises these; nothing below the routes knows about HTTP responses.
"""

import logging
import math
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)


class LunaError(Exception):
    status_code = 400
    headers: dict[str, str] | None = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Unauthorized(LunaError):
    """No valid credentials: the client should authenticate (RFC 6750)."""

    status_code = 401
    headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(LunaError):
    """Authenticated, but not allowed to do this."""

    status_code = 403


class NotFound(LunaError):
    status_code = 404


class Conflict(LunaError):
    status_code = 409


class ServiceUnavailable(LunaError):
    status_code = 503

    def __init__(self, detail: str, retry_after: int | None = None) -> None:
        super().__init__(detail)
        if retry_after is not None:
            self.headers = {"Retry-After": str(retry_after)}


def validation_error(
    loc: Sequence[str | int], msg: str, value: Any = None
) -> RequestValidationError:
    """A 422 in FastAPI's own list form, for rules a schema cannot express alone."""
    return RequestValidationError(
        [{"type": "value_error", "loc": tuple(loc), "msg": msg, "input": value}]
    )


def _json_safe(value: Any) -> Any:
    """A 422 echoes the input back; NaN, Infinity and lone surrogates are not valid JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "nan", "inf", "-inf"
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_json_safe(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


UNDECODABLE_BODY = "There was an error parsing the body"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own list form, made safe to render whatever the client sent.
        detail = _json_safe(jsonable_encoder(exc.errors()))
        return JSONResponse(status_code=422, content={"detail": detail})

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # FastAPI answers 400 for a body it cannot decode at all (e.g. not UTF-8); to clients
        # that is malformed JSON like any other, so it gets the same 422 as a JSON syntax error.
        if exc.status_code == 400 and exc.detail == UNDECODABLE_BODY:
            detail = [
                {
                    "type": "json_invalid",
                    "loc": ["body"],
                    "msg": "Body is not valid JSON text (UTF-8)",
                    "input": {},
                }
            ]
            return JSONResponse(status_code=422, content={"detail": detail})
        return await http_exception_handler(request, exc)

    @app.exception_handler(LunaError)
    async def _luna_error(_request: Request, exc: LunaError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code, content={"detail": exc.detail}, headers=exc.headers
        )

    @app.exception_handler(IntegrityError)
    async def _integrity_error(_request: Request, exc: IntegrityError) -> JSONResponse:
        # Services check what they can first; this catches the races they cannot see (a user
        # deleted while their interaction is recorded).
        logger.info("integrity error turned into 409: %s", getattr(exc, "orig", exc))
        return JSONResponse(status_code=409, content={"detail": "Conflict with current state"})

    @app.exception_handler(PoolTimeout)
    async def _pool_exhausted(_request: Request, exc: PoolTimeout) -> JSONResponse:
        # Every database connection of this worker is busy: shed load instead of queueing.
        logger.warning("database connection pool exhausted")
        return JSONResponse(
            status_code=503,
            content={"detail": "Server busy, retry shortly"},
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(DBAPIError)
    async def _database_error(_request: Request, exc: DBAPIError) -> JSONResponse:
        # Lost or refused connections (server down, restarting, failover) are temporary:
        # 503 tells clients to retry. Anything else is a bug and stays a 500.
        if isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated:
            logger.warning("database unavailable: %s", type(exc.orig).__name__)
            return JSONResponse(
                status_code=503,
                content={"detail": "Database unavailable"},
                headers={"Retry-After": "5"},
            )
        logger.error("database error", exc_info=exc)
        return JSONResponse(status_code=500, content={"detail": "Internal server error"})
