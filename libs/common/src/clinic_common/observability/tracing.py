"""OpenTelemetry tracing: one trace across HTTP calls and NATS messages.

HTTP requests carry W3C `traceparent` in their headers; events carry the same header in their
NATS message headers (`inject_headers` on publish, `extract_context` on consume), so a booking,
the events it causes and their handlers in other services form one trace.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.propagators.textmap import Getter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import Span, SpanKind

__all__ = [
    "configure_tracing",
    "consumer_span",
    "current_ids",
    "extract_context",
    "inject_headers",
    "tracer",
]

_log = logging.getLogger(__name__)
_TRACER_NAME = "clinic_common"


def configure_tracing(service: str, *, exporter: SpanExporter | None = None) -> TracerProvider:
    """Install the SDK tracer provider for this process (once) and return it.

    Without a provider, spans are no-ops and trace ids are only passed through. Nothing is
    exported unless an exporter is given (tests pass an in-memory one). The global provider can
    be set only once per process; later calls return the first one, adding `exporter` to it."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        provider = current
    else:
        provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
        trace.set_tracer_provider(provider)
        if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
            # TODO: export over OTLP once opentelemetry-exporter-otlp is a dependency; it is not
            # installed, so spans are recorded (ids in logs, propagation) but not shipped.
            _log.warning("OTEL_EXPORTER_OTLP_ENDPOINT is set but no OTLP exporter is installed")
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def tracer() -> trace.Tracer:
    return trace.get_tracer(_TRACER_NAME)


class _CaseInsensitiveGetter(Getter[Mapping[str, str]]):
    """NATS headers keep the sender's case ("Traceparent" from some clients); HTTP is lowercase."""

    def get(self, carrier: Mapping[str, str], key: str) -> list[str] | None:
        wanted = key.lower()
        for name, value in carrier.items():
            if name.lower() == wanted:
                return [value]
        return None

    def keys(self, carrier: Mapping[str, str]) -> list[str]:
        return list(carrier.keys())


_GETTER = _CaseInsensitiveGetter()


def inject_headers(headers: dict[str, str], context: Context | None = None) -> dict[str, str]:
    """Add the current (or given) trace context to outgoing message headers; returns `headers`."""
    propagate.inject(headers, context=context)
    return headers


def extract_context(headers: Mapping[str, str] | None) -> Context:
    """The trace context carried by incoming message headers (empty context if none)."""
    return propagate.extract(headers or {}, getter=_GETTER)


@contextmanager
def consumer_span(name: str, headers: Mapping[str, str] | None) -> Iterator[Span]:
    """A CONSUMER span, child of the publisher's span, around handling one message."""
    with tracer().start_as_current_span(
        name, context=extract_context(headers), kind=SpanKind.CONSUMER
    ) as span:
        yield span


def current_ids() -> tuple[str | None, str | None]:
    """(trace_id, span_id) of the current span as W3C hex, or (None, None) outside a trace."""
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None, None
    return trace.format_trace_id(ctx.trace_id), trace.format_span_id(ctx.span_id)
