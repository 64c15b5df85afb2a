"""Prometheus metrics of a service: HTTP traffic and event flow.

Requests are labelled by route template ("/v1/appointments/{appointment_id}"), never by raw
path, so the number of series stays bounded whatever ids clients send.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["UNMATCHED_ROUTE", "Metrics", "metrics_endpoint", "metrics_route"]

# Label for requests no route matched (404s, scanners): one series, not one per path.
UNMATCHED_ROUTE: Final = "<unmatched>"

_LATENCY_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The metrics one service exposes, in one registry.

    By default each instance gets its own registry (with process, platform and GC collectors),
    so several apps in one process, as in tests, do not collide; pass
    `prometheus_client.REGISTRY` to use the global one (at most one instance per process)."""

    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        self.service = service
        if registry is None:
            registry = CollectorRegistry()
            ProcessCollector(registry=registry)
            PlatformCollector(registry=registry)
            GCCollector(registry=registry)
        self.registry = registry

        self.http_requests = Counter(
            "http_requests_total",
            "HTTP requests handled, by method, route template and status.",
            ("method", "route", "status"),
            registry=registry,
        )
        self.http_duration = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency in seconds, by method, route template and status.",
            ("method", "route", "status"),
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.events_published = Counter(
            "events_published_total",
            "Events published to NATS by the outbox relay.",
            ("service", "type"),
            registry=registry,
        )
        self.events_consumed = Counter(
            "events_consumed_total",
            "Events handled by consumers, by outcome (processed, duplicate, retry, dead_letter).",
            ("service", "type", "outcome"),
            registry=registry,
        )
        self.outbox_backlog = Gauge(
            "outbox_backlog",
            "Outbox rows written but not yet published.",
            ("service",),
            registry=registry,
        )
        self.dead_letters = Counter(
            "dead_letters_total",
            "Events parked in the dead-letter table after their last delivery attempt.",
            ("service", "type"),
            registry=registry,
        )
        self.deliveries = Counter(
            "deliveries_total",
            "Delivery attempts by channel and result (sent, failed, retried).",
            ("service", "channel", "outcome"),
            registry=registry,
        )
        self.deliveries_pending = Gauge(
            "deliveries_pending",
            "Delivery rows (SMS, WhatsApp, fiscal receipts) not yet sent or failed.",
            ("service",),
            registry=registry,
        )
        self.publish_duplicates = Counter(
            "events_publish_duplicates_total",
            "Republished outbox rows JetStream dropped as duplicates (PubAck duplicate).",
            ("service", "type"),
            registry=registry,
        )
        self.outbox_parked = Counter(
            "outbox_parked_total",
            "Outbox rows the relay could not publish and parked in outbox_dead_letters.",
            ("service", "type"),
            registry=registry,
        )
        self.relay_errors = Counter(
            "relay_errors_total",
            "Failed relay cycles (NATS or the database away, the lock lost).",
            ("service",),
            registry=registry,
        )
        self.redeliveries = Counter(
            "events_redelivered_total",
            "Messages JetStream delivered again (after a crash, an outage or a failure).",
            ("service", "type"),
            registry=registry,
        )
        self.purged_rows = Counter(
            "purged_rows_total",
            "Rows of technical tables deleted after their retention window.",
            ("service", "table"),
            registry=registry,
        )
        self.outbox_lag = Gauge(
            "outbox_lag_seconds",
            "Age of the oldest outbox row not yet published (0 when none waits).",
            ("service",),
            registry=registry,
        )
        self.parked_gauge = Gauge(
            "parked_events",
            "Rows waiting for an operator: table dead_letters (consumed events) or outbox_dead_letters.",
            ("service", "table"),
            registry=registry,
        )
        self.nats_connected = Gauge(
            "nats_connected", "1 while the NATS connection is up.", ("service",), registry=registry
        )
        self.relay_leader = Gauge(
            "relay_leader", "1 while this process holds the relay lock.", ("service",), registry=registry
        )
        self.database_up = Gauge(
            "database_up", "1 while the service's own database answers.", ("service",), registry=registry
        )
        # Expose the backlog at 0 from the start, so "absent" means "not scraped", not "empty".
        self.outbox_backlog.labels(service).set(0)
        self.deliveries_pending.labels(service).set(0)

    # Convenience for the events code: the service label is always this service.

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        status_label = str(status)
        self.http_requests.labels(method, route, status_label).inc()
        self.http_duration.labels(method, route, status_label).observe(seconds)

    def event_published(self, event_type: str) -> None:
        self.events_published.labels(self.service, event_type).inc()

    def event_consumed(self, event_type: str, outcome: str) -> None:
        self.events_consumed.labels(self.service, event_type, outcome).inc()

    def dead_lettered(self, event_type: str) -> None:
        self.dead_letters.labels(self.service, event_type).inc()

    def set_outbox_backlog(self, rows: int) -> None:
        self.outbox_backlog.labels(self.service).set(rows)

    def publish_duplicate(self, event_type: str) -> None:
        self.publish_duplicates.labels(self.service, event_type).inc()

    def outbox_row_parked(self, event_type: str) -> None:
        self.outbox_parked.labels(self.service, event_type).inc()

    def relay_error(self) -> None:
        self.relay_errors.labels(self.service).inc()

    def redelivered(self, event_type: str) -> None:
        self.redeliveries.labels(self.service, event_type).inc()

    def rows_purged(self, table: str, rows: int) -> None:
        self.purged_rows.labels(self.service, table).inc(rows)

    def set_event_state(
        self,
        *,
        nats_connected: bool,
        relay_leader: bool,
        database_up: bool,
        backlog: int | None,
        lag_seconds: float | None,
        parked: dict[str, int] | None,
    ) -> None:
        """Gauges read at scrape time; database figures are left as they were when it is away."""
        self.nats_connected.labels(self.service).set(int(nats_connected))
        self.relay_leader.labels(self.service).set(int(relay_leader))
        self.database_up.labels(self.service).set(int(database_up))
        if backlog is not None:
            self.set_outbox_backlog(backlog)
        if lag_seconds is not None:
            self.outbox_lag.labels(self.service).set(lag_seconds)
        for table, rows in (parked or {}).items():
            self.parked_gauge.labels(self.service, table).set(rows)

    def delivery_result(self, channel: str, outcome: str) -> None:
        self.deliveries.labels(self.service, channel, outcome).inc()

    def set_deliveries_pending(self, rows: int) -> None:
        self.deliveries_pending.labels(self.service).set(rows)


def metrics_endpoint(metrics: Metrics) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette/FastAPI handler serving `metrics.registry` in the exposition format the
    scraper asks for (Prometheus text by default, OpenMetrics on request)."""

    async def handle(request: Request) -> Response:
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encoder(metrics.registry), headers={"Content-Type": content_type})

    return handle


def metrics_route(metrics: Metrics, path: str = "/metrics") -> Route:
    """`/metrics` as a route: `app.router.routes.append(metrics_route(m))`; unauthenticated
    like health (architecture.md, Security) and kept out of the OpenAPI document."""
    return Route(path, metrics_endpoint(metrics), methods=["GET"], include_in_schema=False)
