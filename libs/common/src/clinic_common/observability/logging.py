"""Structured logs: one JSON object per line on stdout.

Log shippers parse lines, not prose, and the ids in every line (request, correlation, trace)
join one request's lines across the four services and to its trace.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Final, TextIO

from clinic_common.observability.context import correlation_id_var, request_id_var
from clinic_common.observability.tracing import current_ids

__all__ = ["JsonFormatter", "configure_logging"]

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RESERVED: Final = frozenset(
    {*logging.LogRecord("", 0, "", 0, "", None, None).__dict__, "message", "asctime", "taskName"}
)
_CORE_KEYS: Final = (
    "ts",
    "level",
    "logger",
    "message",
    "service",
    "request_id",
    "correlation_id",
    "trace_id",
    "span_id",
)
_MARKER: Final = "_clinic_json_handler"


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line with the service and the current ids.

    Fields passed with `extra=` are added at top level; one that would overwrite a core key
    is kept under `extra_<key>` instead."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        trace_id, span_id = current_ids()
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": self.service,
            "request_id": request_id_var.get(),
            "correlation_id": correlation_id_var.get(),
            "trace_id": trace_id,
            "span_id": span_id,
        }
        for key, value in record.__dict__.items():
            if key in _RESERVED or key.startswith("_"):
                continue
            entry[f"extra_{key}" if key in entry else key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        # default=str: a UUID, Decimal or date in `extra` must not lose the whole line.
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(service: str, level: str = "INFO", *, stream: TextIO | None = None) -> None:
    """Route all logging (uvicorn's included) to JSON lines on stdout.

    Replaces the root logger's handlers, so calling it again (tests, reload) does not duplicate
    lines. uvicorn's own access log is turned down: the observability middleware writes one
    access line per request, with the ids."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    setattr(handler, _MARKER, True)

    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        if getattr(old, _MARKER, False):
            old.close()
    root.addHandler(handler)
    root.setLevel(level.upper())

    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
