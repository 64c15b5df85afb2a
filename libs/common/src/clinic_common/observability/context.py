"""Request and correlation ids of the work in progress, as context variables.

Context variables follow asyncio tasks and threadpool calls, so a log line written anywhere
while handling a request or an event carries that request's ids without passing them around.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["bind_ids", "correlation_id_var", "request_id_var"]

# Set by the HTTP middleware; None outside a request.
request_id_var: ContextVar[str | None] = ContextVar("clinic_request_id", default=None)
# Follows one business flow across services: an HTTP request, the events it causes and the work
# those events cause (the envelope's `correlationid`).
correlation_id_var: ContextVar[str | None] = ContextVar("clinic_correlation_id", default=None)


@contextmanager
def bind_ids(*, correlation_id: str | None, request_id: str | None = None) -> Iterator[None]:
    """Set the ids for a block, e.g. while an event consumer handles one message."""
    request_token = request_id_var.set(request_id)
    correlation_token = correlation_id_var.set(correlation_id)
    try:
        yield
    finally:
        correlation_id_var.reset(correlation_token)
        request_id_var.reset(request_token)
