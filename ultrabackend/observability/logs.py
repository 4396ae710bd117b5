"""JSON log lines (one object per line) with the request id of the request or job that wrote them.

``LOG_FORMAT=json`` (the default) uses :class:`JsonFormatter`; ``LOG_FORMAT=text`` the plain
format for a developer's terminal. Fields: ``ts`` (UTC, ISO 8601), ``level``, ``logger``,
``message``, ``request_id`` (when one is bound), every ``extra={...}`` field given to the logger
call, and ``exc`` (the traceback) for an exception."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from ultrabackend.observability.context import current_request_id

# Attributes every LogRecord has: everything else on a record came from ``extra=``.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "request_id"}


class RequestIdFilter(logging.Filter):
    """Puts the bound request id on every record (``%(request_id)s`` in a text format)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            line["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def logging_config(*, level: str, fmt: str) -> dict[str, Any]:
    """The LOGGING dict of the settings."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "ultrabackend.observability.logs.RequestIdFilter"}},
        "formatters": {
            "json": {"()": "ultrabackend.observability.logs.JsonFormatter"},
            "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json" if fmt == "json" else "text",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
    }
