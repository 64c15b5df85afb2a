import io
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route

from clinic_common.observability import (
    UNMATCHED_ROUTE,
    JsonFormatter,
    Metrics,
    ObservabilityMiddleware,
    bind_ids,
    configure_logging,
    configure_tracing,
    consumer_span,
    correlation_id_var,
    current_ids,
    extract_context,
    inject_headers,
    metrics_route,
    request_id_var,
    tracer,
)

pytestmark = pytest.mark.unit

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_SPAN_ID}-01"


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """configure_logging into a buffer; the root logger is restored afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging("records", "DEBUG", stream=stream)
    try:
        yield stream
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    # The global tracer provider can be set once per process; every test after this one sees it.
    exporter = InMemorySpanExporter()
    configure_tracing("records", exporter=exporter)
    yield exporter


def finished(exporter: InMemorySpanExporter) -> list[Any]:
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    provider.force_flush()
    return list(exporter.get_finished_spans())


def fastapi_app(metrics: Metrics) -> FastAPI:
    app = FastAPI()
    router = APIRouter(prefix="/v1/patients")

    @router.get("/{patient_id}")
    async def read_patient(patient_id: str) -> dict[str, str]:
        logging.getLogger("records.patient").info("read patient", extra={"patient_id": patient_id})
        return {"id": patient_id, "request_id": request_id_var.get() or ""}

    @router.get("/{patient_id}/boom")
    async def boom(patient_id: str) -> None:
        raise RuntimeError("boom")

    app.include_router(router)
    app.add_middleware(ObservabilityMiddleware, metrics=metrics)
    app.router.routes.append(metrics_route(metrics))
    return app


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://test"
    )


# --- logging ----------------------------------------------------------------------------------


async def test_log_line_has_request_and_correlation_ids(log_stream: io.StringIO) -> None:
    app = fastapi_app(Metrics("records"))
    async with client(app) as http:
        response = await http.get(
            "/v1/patients/p-1", headers={"X-Request-ID": "req-1", "X-Correlation-ID": "corr-1"}
        )
    assert response.status_code == 200

    records = lines(log_stream)
    handler_line = next(r for r in records if r["message"] == "read patient")
    assert handler_line["request_id"] == "req-1"
    assert handler_line["correlation_id"] == "corr-1"
    assert handler_line["service"] == "records"
    assert handler_line["logger"] == "records.patient"
    assert handler_line["level"] == "INFO"
    assert handler_line["patient_id"] == "p-1"  # extra fields at top level
    for key in ("ts", "trace_id", "span_id"):
        assert key in handler_line

    access = next(r for r in records if r["logger"] == "clinic.access")
    assert access["request_id"] == "req-1"
    assert access["route"] == "/v1/patients/{patient_id}"
    assert access["status"] == 200
    assert access["path"] == "/v1/patients/p-1"


def test_json_formatter_outside_a_request() -> None:
    formatter = JsonFormatter("billing")
    record = logging.LogRecord("billing.x", logging.WARNING, __file__, 1, "total %s", ("5",), None)
    record.amount = uuid.UUID(int=1)  # not JSON-native: rendered with str()
    record.service = "spoofed"  # cannot overwrite a core key
    entry = json.loads(formatter.format(record))
    assert entry["message"] == "total 5"
    assert entry["service"] == "billing"
    assert entry["extra_service"] == "spoofed"
    assert entry["amount"] == str(uuid.UUID(int=1))
    assert entry["request_id"] is None
    assert entry["correlation_id"] is None


def test_bind_ids_for_event_consumers() -> None:
    formatter = JsonFormatter("billing")
    with bind_ids(correlation_id="corr-9"):
        record = logging.LogRecord("b", logging.INFO, __file__, 1, "handled", None, None)
        entry = json.loads(formatter.format(record))
    assert entry["correlation_id"] == "corr-9"
    assert correlation_id_var.get() is None


def test_configure_logging_twice_does_not_duplicate(log_stream: io.StringIO) -> None:
    configure_logging("records", "INFO", stream=log_stream)
    logging.getLogger("x").info("once")
    assert [r["message"] for r in lines(log_stream)] == ["once"]


# --- middleware -------------------------------------------------------------------------------


async def test_middleware_echoes_given_ids() -> None:
    async with client(fastapi_app(Metrics("records"))) as http:
        response = await http.get(
            "/v1/patients/p-1", headers={"X-Request-ID": "req-1", "X-Correlation-ID": "corr-1"}
        )
    assert response.headers["x-request-id"] == "req-1"
    assert response.headers["x-correlation-id"] == "corr-1"
    assert response.json()["request_id"] == "req-1"  # visible to the endpoint


async def test_middleware_creates_ids_and_correlation_defaults_to_request_id() -> None:
    async with client(fastapi_app(Metrics("records"))) as http:
        first = await http.get("/v1/patients/p-1")
        second = await http.get("/v1/patients/p-1")
    request_id = first.headers["x-request-id"]
    assert uuid.UUID(request_id).version == 4
    assert first.headers["x-correlation-id"] == request_id
    assert second.headers["x-request-id"] != request_id


async def test_middleware_replaces_malformed_ids() -> None:
    async with client(fastapi_app(Metrics("records"))) as http:
        response = await http.get(
            "/v1/patients/p-1", headers={"X-Request-ID": "x" * 500, "X-Correlation-ID": "a b\tc"}
        )
    request_id = response.headers["x-request-id"]
    assert uuid.UUID(request_id)
    assert response.headers["x-correlation-id"] == request_id


async def test_middleware_resets_context_after_request() -> None:
    async with client(fastapi_app(Metrics("records"))) as http:
        await http.get("/v1/patients/p-1", headers={"X-Request-ID": "req-1"})
    assert request_id_var.get() is None


# --- metrics ----------------------------------------------------------------------------------


async def test_metrics_endpoint_counts_by_route_template() -> None:
    metrics = Metrics("records")
    async with client(fastapi_app(metrics)) as http:
        for patient in ("a", "b", "c"):
            assert (await http.get(f"/v1/patients/{patient}")).status_code == 200
        assert (await http.get("/v1/patients/a/boom")).status_code == 500
        assert (await http.get("/no/such/path")).status_code == 404
        metrics.event_published("clinic.records.patient.registered")
        metrics.event_consumed("clinic.scheduling.appointment.booked", "processed")
        metrics.dead_lettered("clinic.scheduling.appointment.booked")
        metrics.set_outbox_backlog(4)
        response = await http.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    body = response.text
    assert 'http_requests_total{method="GET",route="/v1/patients/{patient_id}",status="200"} 3.0' in body
    assert 'http_requests_total{method="GET",route="/v1/patients/{patient_id}/boom",status="500"} 1.0' in body
    assert f'http_requests_total{{method="GET",route="{UNMATCHED_ROUTE}",status="404"}} 1.0' in body
    assert "/v1/patients/a" not in body.replace("/v1/patients/{patient_id}", "")  # no raw paths
    assert 'http_request_duration_seconds_bucket{le="0.005",method="GET"' in body
    assert 'events_published_total{service="records",type="clinic.records.patient.registered"} 1.0' in body
    assert (
        'events_consumed_total{outcome="processed",service="records",'
        'type="clinic.scheduling.appointment.booked"} 1.0' in body
    )
    assert 'dead_letters_total{service="records",type="clinic.scheduling.appointment.booked"} 1.0' in body
    assert 'outbox_backlog{service="records"} 4.0' in body
    assert "process_cpu_seconds_total" in body or "python_info" in body


async def test_metrics_openmetrics_negotiation() -> None:
    metrics = Metrics("records")
    async with client(fastapi_app(metrics)) as http:
        response = await http.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.rstrip().endswith("# EOF")


async def test_route_template_in_plain_starlette_and_mounts() -> None:
    metrics = Metrics("scheduling")

    async def item(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    inner = Starlette(routes=[Route("/slots/{slot_id:int}", item)])
    app = Starlette(routes=[Route("/items/{item_id}", item), Mount("/v1", app=inner)])
    app.add_middleware(ObservabilityMiddleware, metrics=metrics)
    app.router.routes.append(metrics_route(metrics))
    async with client(app) as http:
        assert (await http.get("/items/42")).status_code == 200
        assert (await http.get("/v1/slots/7")).status_code == 200
        body = (await http.get("/metrics")).text
    assert 'route="/items/{item_id}",status="200"' in body
    assert 'route="/v1/slots/{slot_id}",status="200"' in body


def test_two_metrics_instances_do_not_collide() -> None:
    Metrics("records")
    Metrics("records")


# --- tracing ----------------------------------------------------------------------------------


def test_inject_extract_round_trips_trace_id(spans: InMemorySpanExporter) -> None:
    with tracer().start_as_current_span("publish") as span:
        headers = inject_headers({})
        sent = span.get_span_context()
        assert current_ids() == (trace.format_trace_id(sent.trace_id), trace.format_span_id(sent.span_id))
    assert headers["traceparent"].split("-")[1] == trace.format_trace_id(sent.trace_id)

    received = trace.get_current_span(extract_context(headers)).get_span_context()
    assert received.trace_id == sent.trace_id
    assert received.span_id == sent.span_id
    assert received.is_remote

    # NATS headers may arrive with another capitalization.
    upper = trace.get_current_span(extract_context({"Traceparent": headers["traceparent"]}))
    assert upper.get_span_context().trace_id == sent.trace_id


def test_consumer_span_continues_the_publishers_trace(spans: InMemorySpanExporter) -> None:
    with consumer_span("handle appointment.booked", {"traceparent": TRACEPARENT}) as span:
        ctx = span.get_span_context()
        assert trace.format_trace_id(ctx.trace_id) == TRACE_ID
        assert current_ids()[0] == TRACE_ID
    assert current_ids() == (None, None)
    assert extract_context(None) is not None


def test_configure_tracing_is_idempotent(spans: InMemorySpanExporter) -> None:
    assert configure_tracing("records") is trace.get_tracer_provider()


async def test_server_span_joins_incoming_trace_fastapi(
    spans: InMemorySpanExporter, log_stream: io.StringIO
) -> None:
    spans.clear()
    async with client(fastapi_app(Metrics("records"))) as http:
        response = await http.get("/v1/patients/p-1", headers={"traceparent": TRACEPARENT})
    assert response.status_code == 200

    server = [s for s in finished(spans) if s.kind is SpanKind.SERVER]
    assert len(server) == 1, "exactly one server span per request"
    assert trace.format_trace_id(server[0].context.trace_id) == TRACE_ID
    assert server[0].parent is not None
    assert trace.format_span_id(server[0].parent.span_id) == PARENT_SPAN_ID

    handler_line = next(r for r in lines(log_stream) if r["message"] == "read patient")
    assert handler_line["trace_id"] == TRACE_ID
    assert handler_line["span_id"] is not None


async def test_server_span_started_by_middleware_in_plain_starlette(spans: InMemorySpanExporter) -> None:
    async def item(request: Request) -> JSONResponse:
        return JSONResponse({"trace_id": current_ids()[0]})

    app = Starlette(routes=[Route("/items/{item_id}", item)])
    app.add_middleware(ObservabilityMiddleware)
    spans.clear()
    async with client(app) as http:
        response = await http.get("/items/1", headers={"traceparent": TRACEPARENT})
    assert response.json() == {"trace_id": TRACE_ID}

    server = [s for s in finished(spans) if s.kind is SpanKind.SERVER]
    assert len(server) == 1
    assert server[0].name == "GET /items/{item_id}"
    assert server[0].attributes is not None
    assert server[0].attributes["http.route"] == "/items/{item_id}"
    assert server[0].attributes["http.response.status_code"] == 200
