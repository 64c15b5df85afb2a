"""The service application factory: one place that wires DB, NATS, relay, consumers, errors, auth.

Each service's `create_app()` describes itself with a `ServiceSpec` and calls `create_service_app`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from clinic_common.auth import TokenVerifier
from clinic_common.background import Periodic, stop_tasks
from clinic_common.cabinet import cabinet_handlers
from clinic_common.clock import Clock, clock_from_settings
from clinic_common.db import Database, PlatformTables
from clinic_common.deliveries import Deliveries, DeliveryProvider, OutcomeHandler
from clinic_common.deliveries.admin import router as delivery_admin_router
from clinic_common.deliveries.wiring import delivery_worker
from clinic_common.dev_clock import router as dev_clock_router
from clinic_common.errors import install_error_handlers
from clinic_common.events.consumer import EventConsumer, EventProcessor, Handler
from clinic_common.events.dead_letters import router as dead_letter_router
from clinic_common.events.nats_conn import NatsConnection
from clinic_common.events.outbox import Outbox
from clinic_common.events.outbox_parking import router as outbox_dead_letter_router
from clinic_common.events.relay import OutboxRelay
from clinic_common.events.streams import ensure_stream
from clinic_common.health import router as health_router
from clinic_common.http import BodySizeLimitMiddleware
from clinic_common.idempotency import IdempotencyStore
from clinic_common.maintenance import Purger, Retention
from clinic_common.observability import (
    Metrics,
    ObservabilityMiddleware,
    configure_logging,
    configure_tracing,
)
from clinic_common.openapi import install_openapi
from clinic_common.settings import ServiceSettings

log = logging.getLogger(__name__)


@dataclass
class ServiceSpec:
    name: str  # "home_visits": the event source and stream name
    title: str
    settings: ServiceSettings
    platform: PlatformTables
    routers: Sequence[APIRouter]
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    description: str = ""
    # Side effects outside the database: the provider of each channel ("sms", "fiscal_receipt";
    # others are recorded without sending) and, per delivery `ref_type`, the handler that stores
    # its outcome in the same transaction (a notification's status, a fiscal document's number).
    delivery_providers: Mapping[str, DeliveryProvider] = field(default_factory=dict)
    delivery_outcomes: Mapping[str, OutcomeHandler] = field(default_factory=dict)
    # REC-19: records owns the personal cabinet and writes `cabinet_access` itself; every other
    # service mirrors records' cabinet events into it, so the patient gate holds everywhere.
    cabinet_owner: bool = False
    # Clock-driven sweeps of the service's rules, run beside the platform's workers.
    periodic: Sequence[Periodic] = ()

    def all_handlers(self) -> dict[str, Handler]:
        mirrored = {} if self.cabinet_owner else cabinet_handlers(self.platform)
        return {**mirrored, **self.handlers}


@dataclass
class Workers:
    relay: OutboxRelay
    consumers: list[EventConsumer]
    purger: Purger
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


def create_service_app(spec: ServiceSpec, *, clock: Clock | None = None) -> FastAPI:
    settings = spec.settings
    configure_logging(spec.name, settings.log_level)
    configure_tracing(spec.name)
    metrics = Metrics(spec.name)
    handlers = spec.all_handlers()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.database_url, pool_size=settings.db_pool_size)
        # Idempotency claims, lease renewals and releases run beside a request that holds a
        # connection of `db`; their own small pool means a burst of requests can never starve them.
        keys_db = Database(settings.database_url, pool_size=max(2, settings.db_pool_size // 2))
        nats = NatsConnection(settings.nats_url, name=spec.name)
        nats.start()
        processor = EventProcessor(
            sessionmaker=db.sessionmaker,
            platform=spec.platform,
            handlers=handlers,
            clock=app.state.clock,
        )
        relay = OutboxRelay(
            engine=db.engine,
            platform=spec.platform,
            js=nats.js,
            service=spec.name,
            poll_interval=settings.relay_poll_interval_seconds,
            max_payload=nats.max_payload,
            on_published=metrics.event_published,
            on_duplicate=metrics.publish_duplicate,
            on_parked=metrics.outbox_row_parked,
            on_error=metrics.relay_error,
        )
        producers = sorted({t.split(".")[1] for t in handlers})
        consumers = [
            EventConsumer(
                service=spec.name,
                producer=producer,
                processor=processor,
                js=nats.js,
                max_deliver=settings.consumer_max_deliver,
                backoff=settings.consumer_backoff_seconds,
                ack_wait=settings.consumer_ack_wait_seconds,
                on_consumed=_consumed_metrics(metrics),
                on_redelivered=metrics.redelivered,
            )
            for producer in producers
        ]
        purger = Purger(
            engine=db.engine,
            platform=spec.platform,
            service=spec.name,
            retention=Retention(
                outbox=timedelta(seconds=settings.outbox_retention_seconds),
                inbox=timedelta(seconds=settings.inbox_retention_seconds),
                idempotency_grace=timedelta(seconds=settings.idempotency_purge_grace_seconds),
            ),
            interval=settings.purge_interval_seconds,
            batch_size=settings.purge_batch_size,
            on_purged=metrics.rows_purged,
        )
        workers = Workers(relay=relay, consumers=consumers, purger=purger)
        app.state.db = db
        app.state.nats = nats
        app.state.outbox = Outbox(spec.platform, source=spec.name)
        app.state.event_processor = processor
        app.state.workers = workers
        app.state.idempotency = IdempotencyStore(
            keys_db.sessionmaker,
            spec.platform,
            lease_seconds=settings.idempotency_lease_seconds,
            heartbeat_seconds=settings.idempotency_heartbeat_seconds,
        )
        deliveries = delivery_worker(
            settings,
            sessionmaker=db.sessionmaker,
            platform=spec.platform,
            clock=app.state.clock,
            metrics=metrics,
            providers=spec.delivery_providers,
            on_outcome=spec.delivery_outcomes,
        )
        app.state.deliveries = Deliveries(spec.platform)
        app.state.delivery_worker = deliveries
        if settings.run_workers:
            workers.tasks.append(asyncio.create_task(deliveries.run(), name=f"{spec.name}-deliveries"))
            workers.tasks.append(asyncio.create_task(_provision_own_stream(nats, spec.name, settings)))
            workers.tasks.append(asyncio.create_task(relay.run(), name=f"{spec.name}-relay"))
            workers.tasks.append(asyncio.create_task(purger.run(), name=f"{spec.name}-purge"))
            for periodic in spec.periodic:
                workers.tasks.append(
                    asyncio.create_task(periodic.run(app), name=f"{spec.name}-{periodic.name}")
                )
            for consumer in consumers:
                workers.tasks.append(
                    asyncio.create_task(consumer.run(), name=f"{spec.name}-consumer-{consumer.producer}")
                )
        try:
            yield
        finally:
            await stop_tasks(workers.tasks)
            await deliveries.providers.aclose()
            await nats.close()
            await keys_db.dispose()
            await db.dispose()

    app = FastAPI(
        title=spec.title,
        description=spec.description,
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.service_name = spec.name
    app.state.metrics = metrics
    app.state.platform = spec.platform
    app.state.clock = clock or clock_from_settings(settings.clock_file, settings.clock_start)
    app.state.token_verifier = TokenVerifier.from_settings(settings)
    install_error_handlers(app)
    install_openapi(app)  # every operation documents the problems it answers
    app.include_router(health_router)
    app.include_router(dead_letter_router)
    app.include_router(outbox_dead_letter_router)
    app.include_router(delivery_admin_router)
    if settings.dev_mode:  # only when CLINIC_ENV says development or test; production is the default
        log.info("%s runs in %s mode: PUT /_dev/clock is open", spec.name, settings.env)
        app.include_router(dev_clock_router)
    for router in spec.routers:
        app.include_router(router)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "X-Request-ID", "X-Correlation-ID"],
        )
    app.add_middleware(ObservabilityMiddleware, metrics=metrics)
    return app


def _consumed_metrics(metrics: Metrics) -> Callable[[str, str], None]:
    def count(event_type: str, outcome: str) -> None:
        metrics.event_consumed(event_type, outcome)
        if outcome == "dead_letter":
            metrics.dead_lettered(event_type)

    return count


async def _provision_own_stream(nats: NatsConnection, name: str, settings: ServiceSettings) -> None:
    """The producer makes sure its stream exists, retrying until NATS answers."""
    while True:
        try:
            js = await nats.js()
            await ensure_stream(js, name, replicas=settings.stream_replicas)
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("stream provisioning failed: %s; retrying", exc)
            await asyncio.sleep(1.0)
