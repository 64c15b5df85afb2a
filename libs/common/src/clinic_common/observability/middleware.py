"""Per-request observability as one pure ASGI middleware.

Pure ASGI (not BaseHTTPMiddleware) so streaming responses are not buffered, context variables
set here are visible to the endpoint, and the cost per request stays small.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from time import perf_counter
from typing import Any, Final

from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clinic_common.observability.context import correlation_id_var, request_id_var
from clinic_common.observability.metrics import UNMATCHED_ROUTE, Metrics
from clinic_common.observability.tracing import tracer

__all__ = [
    "CORRELATION_ID_HEADER",
    "REQUEST_ID_HEADER",
    "ObservabilityMiddleware",
    "route_template",
]

REQUEST_ID_HEADER: Final = "x-request-id"
CORRELATION_ID_HEADER: Final = "x-correlation-id"

# Incoming ids end up in every log line and response: accept only short, plain tokens (UUIDs,
# ULIDs, gateway ids), so a client cannot inject log content or huge headers.
_ID_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")
# Methods outside this set share one label, keeping the series count bounded.
_KNOWN_METHODS: Final = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"}
)
_DEFAULT_QUIET_PATHS: Final = ("/healthz", "/readyz", "/metrics")


def _clean_id(value: str | None) -> str | None:
    return value if value is not None and _ID_RE.fullmatch(value) else None


def route_template(scope: Scope) -> str:
    """The matched route's template ("/v1/patients/{patient_id}"), or UNMATCHED_ROUTE.

    Read after the app has handled the request: the router records its match in the scope.
    FastAPI (>= 0.16x) keeps routes of included routers in an "effective route context" whose
    `path_format` has the full prefix; plain Starlette routes carry it on `scope["route"]`."""
    path_format: Any = None
    fastapi_scope = scope.get("fastapi")
    if isinstance(fastapi_scope, dict):
        path_format = getattr(fastapi_scope.get("effective_route_context"), "path_format", None)
    if not path_format:
        path_format = getattr(scope.get("route"), "path_format", None)
    if not isinstance(path_format, str) or not path_format:
        return UNMATCHED_ROUTE
    # Inside a Mount the route is relative to it; the mount's prefix is what root_path gained.
    app_root = scope.get("app_root_path")
    root = scope.get("root_path", "")
    prefix = root[len(app_root) :] if isinstance(app_root, str) and root.startswith(app_root) else ""
    return prefix + path_format


def _request_headers(scope: Scope) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", ()):
        name = raw_name.decode("latin-1").lower()
        headers.setdefault(name, raw_value.decode("latin-1"))  # first value wins
    return headers


def _active_server_span() -> Span | None:
    """A SERVER span already started for this request further out, e.g. by FastAPI's native
    OpenTelemetry support (active once an SDK tracer provider is installed); starting a second
    one would split the trace."""
    span = trace.get_current_span()
    ctx = span.get_span_context()
    if ctx.is_valid and not ctx.is_remote and getattr(span, "kind", None) is SpanKind.SERVER:
        return span
    return None


class ObservabilityMiddleware:
    """Request and correlation ids, a server span, HTTP metrics and one access log line.

    - Request id: `X-Request-ID` if well-formed, else a new UUID4; correlation id:
      `X-Correlation-ID`, else the request id. Both are echoed in the response headers and set
      in the context variables every log line reads.
    - Trace: W3C `traceparent` is extracted and a SERVER span started (unless one is active).
    - Metrics: counter and latency histogram by method, route template and status.
    - Log: one line per request on `clinic.access`; probes and scrapes at DEBUG.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics | None = None,
        access_logger: str = "clinic.access",
        quiet_paths: Collection[str] = _DEFAULT_QUIET_PATHS,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.log = logging.getLogger(access_logger)
        self.quiet_paths = frozenset(quiet_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        headers = _request_headers(scope)
        request_id = _clean_id(headers.get(REQUEST_ID_HEADER)) or str(uuid.uuid4())
        correlation_id = _clean_id(headers.get(CORRELATION_ID_HEADER)) or request_id
        raw_method = scope.get("method", "GET")
        method = raw_method if raw_method in _KNOWN_METHODS else "_OTHER"
        status: int | None = None

        async def send_with_ids(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in response_headers}
                for name, value in ((REQUEST_ID_HEADER, request_id), (CORRELATION_ID_HEADER, correlation_id)):
                    if name.encode() not in present:
                        response_headers.append((name.encode(), value.encode("latin-1")))
                message = {**message, "headers": response_headers}
            await send(message)

        request_token = request_id_var.set(request_id)
        correlation_token = correlation_id_var.set(correlation_id)
        started = perf_counter()
        try:
            with self._server_span(method, scope, headers) as (span, own_span):
                try:
                    await self.app(scope, receive, send_with_ids)
                finally:
                    # An exception before the response started becomes a 500 further out.
                    final_status = status if status is not None else 500
                    route = route_template(scope)
                    if own_span:
                        _finish_span(span, method, route, final_status)
                    self._record(scope, method, route, final_status, perf_counter() - started)
        finally:
            correlation_id_var.reset(correlation_token)
            request_id_var.reset(request_token)

    @contextmanager
    def _server_span(self, method: str, scope: Scope, headers: dict[str, str]) -> Iterator[tuple[Span, bool]]:
        existing = _active_server_span()
        if existing is not None:
            yield existing, False
            return
        parent = propagate.extract(headers)  # trace context of the caller, if any
        attributes = {
            "http.request.method": method,
            "url.path": scope.get("path", ""),
            "url.scheme": scope.get("scheme", "http"),
        }
        with tracer().start_as_current_span(
            method, context=parent, kind=SpanKind.SERVER, attributes=attributes
        ) as span:
            yield span, True

    def _record(self, scope: Scope, method: str, route: str, status: int, seconds: float) -> None:
        if self.metrics is not None:
            self.metrics.observe_request(method, route, status, seconds)
        path = scope.get("path", "")
        if path in self.quiet_paths:
            level = logging.DEBUG
        elif status >= 500:
            level = logging.WARNING
        else:
            level = logging.INFO
        # The query string is left out: it can carry personal data (an IIN, a phone number).
        self.log.log(
            level,
            "%s %s %s",
            method,
            path,
            status,
            extra={
                "http_method": method,
                "path": path,
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 3),
            },
        )


def _finish_span(span: Span, method: str, route: str, status: int) -> None:
    span.set_attribute("http.response.status_code", status)
    if route != UNMATCHED_ROUTE:
        span.set_attribute("http.route", route)
        span.update_name(f"{method} {route}")
    if status >= 500:
        span.set_status(StatusCode.ERROR)
