"""Structured JSON logs, one object per line, each carrying the request id.

What is never logged: tokens (we log no headers), query strings (they can carry a
position), request and response bodies (they carry homes), secrets (settings are never
logged). The server's own access log (granian's) stays off, ours replaces it for that reason.

LOG_LEVEL sets Luna's own loggers (`luna.*`) and granian's start-up lines. Libraries (procrastinate,
alembic, httpx, ...) log at WARNING and above unless LOG_LEVEL=DEBUG: their INFO lines
("No periodic task found", "Running upgrade ...") say nothing a user acts on.
"""

import logging
import logging.config
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS

from luna.config import Settings

ACCESS_LOGGER = "luna.access"


def library_level(level: str) -> str:
    """The level of every logger outside Luna's own: LOG_LEVEL when it is DEBUG (everything
    shows), otherwise never below WARNING."""
    if level == "DEBUG":
        return level
    return max(level, "WARNING", key=logging.getLevelName)


def logging_config(level: str) -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {
                "()": "asgi_correlation_id.CorrelationIdFilter",
                "default_value": "-",
            }
        },
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s",
                "rename_fields": {
                    "asctime": "time",
                    "levelname": "level",
                    "name": "logger",
                    "correlation_id": "request_id",
                },
                # uvicorn's terminal colours are noise in JSON.
                "reserved_attrs": [*RESERVED_ATTRS, "color_message"],
            }
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": library_level(level), "handlers": ["stderr"]},
        "loggers": {
            "luna": {"level": level},
            # granian's own messages (`luna serve`); its access log stays off: luna.access,
            # which leaves out query strings, replaces it.
            "_granian": {"level": level, "handlers": ["stderr"], "propagate": False},
            "granian.access": {"level": "WARNING", "handlers": [], "propagate": False},
            "sqlalchemy.engine": {"level": "WARNING"},
        },
    }


def configure_logging(settings: Settings) -> None:
    logging.config.dictConfig(logging_config(settings.log_level))
