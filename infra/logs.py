"""Structured logging: one JSON object per line on stderr, carrying the request id.

:func:`configure_logging` is called by the command line once per process; the request id of
the request being served lives in a context variable set by the request-id middleware and is
added to every record logged while serving it.
"""

from __future__ import annotations

__all__ = [
    "JsonFormatter",
    "ValidationStepsAsDebug",
    "configure_logging",
    "current_request_id",
    "request_id_var",
]

import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import msgspec

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def current_request_id() -> str | None:
    """The id of the request being served, if any."""
    return request_id_var.get()


class JsonFormatter(logging.Formatter):
    """Formats a record as a single JSON line with its ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = current_request_id()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return msgspec.json.encode(entry, enc_hook=str).decode()


class ValidationStepsAsDebug(logging.Filter):
    """pyHanko and pyhanko-certvalidator log the expected failure of an intermediate step of a
    signature validation — the long-term process first trying the signature at the current
    time, a revocation response too old for that — as a warning with a traceback, on every
    ordinary check. The verdict and the report carry the outcome; the steps are debug detail.
    """

    _LIBRARIES = ("pyhanko.", "pyhanko_certvalidator.")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING and record.name.startswith(self._LIBRARIES):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger().isEnabledFor(logging.DEBUG)
        return True


def configure_logging(level: str, fmt: str) -> None:
    """Send all logs to stderr in ``fmt`` (``json`` or ``text``) at ``level``."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(ValidationStepsAsDebug())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "dramatiq", "pika", "alembic"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("pika").setLevel(logging.WARNING)
