"""Observability shared by every service: JSON logs with request and correlation ids,
Prometheus metrics, OpenTelemetry tracing over HTTP and NATS headers.

Typical wiring in a service's create_app()::

    configure_logging(settings.service_name, settings.log_level)
    configure_tracing(settings.service_name)
    metrics = Metrics(settings.service_name)
    app.add_middleware(ObservabilityMiddleware, metrics=metrics)
    app.router.routes.append(metrics_route(metrics))
"""

from clinic_common.observability.context import bind_ids, correlation_id_var, request_id_var
from clinic_common.observability.logging import JsonFormatter, configure_logging
from clinic_common.observability.metrics import UNMATCHED_ROUTE, Metrics, metrics_endpoint, metrics_route
from clinic_common.observability.middleware import (
    CORRELATION_ID_HEADER,
    REQUEST_ID_HEADER,
    ObservabilityMiddleware,
    route_template,
)
from clinic_common.observability.tracing import (
    configure_tracing,
    consumer_span,
    current_ids,
    extract_context,
    inject_headers,
    tracer,
)

__all__ = [
    "CORRELATION_ID_HEADER",
    "REQUEST_ID_HEADER",
    "UNMATCHED_ROUTE",
    "JsonFormatter",
    "Metrics",
    "ObservabilityMiddleware",
    "bind_ids",
    "configure_logging",
    "configure_tracing",
    "consumer_span",
    "correlation_id_var",
    "current_ids",
    "extract_context",
    "inject_headers",
    "metrics_endpoint",
    "metrics_route",
    "request_id_var",
    "route_template",
    "tracer",
]
