"""Errors that carry their HTTP status; `install_error_handlers` renders them.

Domain code raises these; nothing below the routes knows about HTTP responses.
"""

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError

logger = logging.getLogger(__name__)


class LunaError(Exception):
    status_code = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(LunaError):
    status_code = 404


class Conflict(LunaError):
    status_code = 409


class ServiceUnavailable(LunaError):
    status_code = 503


def validation_error(
    loc: Sequence[str | int], msg: str, value: Any = None
) -> RequestValidationError:
    """A 422 in FastAPI's own list form, for rules a schema cannot express alone."""
    return RequestValidationError(
        [{"type": "value_error", "loc": tuple(loc), "msg": msg, "input": value}]
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LunaError)
    async def _luna_error(_request: Request, exc: LunaError) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code, content={"detail": exc.detail})

    @app.exception_handler(IntegrityError)
    async def _integrity_error(_request: Request, exc: IntegrityError) -> JSONResponse:
        # Services check what they can first; this catches the races they cannot see.
        logger.info("integrity error turned into 409: %s", exc.orig)
        return JSONResponse(status_code=409, content={"detail": "Conflict with current state"})

    @app.exception_handler(OperationalError)
    async def _database_down(_request: Request, exc: OperationalError) -> JSONResponse:
        logger.warning("database unavailable: %s", exc.orig)
        return JSONResponse(status_code=503, content={"detail": "Database unavailable"})
