"""Context variables that follow a request or an event through the code."""

from __future__ import annotations

from contextvars import ContextVar

from clinic_common.observability.context import correlation_id_var, request_id_var

# The id of the event being handled: the cause of any event emitted while handling it.
causation_id_var: ContextVar[str | None] = ContextVar("clinic_causation_id", default=None)

__all__ = ["causation_id_var", "correlation_id_var", "request_id_var"]
