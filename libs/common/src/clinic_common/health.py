"""/healthz (liveness, with the event backbone in detail), /readyz (the database only), /metrics.

`/readyz` takes a replica out of rotation only when its database is away: while NATS is down the
API keeps answering, since the outbox holds the events until the relay can publish them. NATS,
the relay (leader, backlog, lag, errors), the consumers (redeliveries, events held while the
database is away) and the parked rows of both dead-letter tables are in `/healthz` and `/metrics`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from clinic_common.auth import PUBLIC
from clinic_common.events.state import OutboxFigures, read_figures
from clinic_common.observability import Metrics, metrics_endpoint

log = logging.getLogger(__name__)

router = APIRouter(tags=["operations"])


@router.get("/healthz", openapi_extra=PUBLIC)
async def healthz(request: Request) -> dict[str, Any]:
    """Always 200 while the process serves; `status` is `degraded` when a dependency is away."""
    state = request.app.state
    figures = await _figures(request)
    nats_up = _nats_ok(request)
    workers = getattr(state, "workers", None)
    body: dict[str, Any] = {
        "status": "ok" if figures.database_up and nats_up else "degraded",
        "service": state.service_name,
        "now": state.clock.now(),
        "database": {"ok": figures.database_up},
        "nats": {"connected": nats_up},
        "outbox": {"backlog": figures.backlog, "lag_seconds": figures.lag_seconds},
        "parked": figures.parked or None,
    }
    if workers is not None:
        relay = workers.relay
        body["relay"] = {
            "leader": relay.is_leader,
            "published": relay.published_count,
            "duplicates": relay.duplicate_count,
            "parked": relay.parked_count,
            "errors": relay.errors,
            "last_error": relay.last_error,
        }
        processor = state.event_processor
        body["consumers"] = [
            {
                "stream": c.stream,
                "ready": c.ready.is_set(),
                "redeliveries": c.redeliveries,
                "parked": c.parked,
            }
            for c in workers.consumers
        ]
        body["database_wait"] = {
            "waiting": processor.database.is_down,
            "seconds": round(processor.database.down_for(), 3),
            "outages": processor.database.outages,
        }
    return body


@router.get("/readyz", openapi_extra=PUBLIC)
async def readyz(request: Request) -> JSONResponse:
    """Ready when the database answers; NATS is reported but never makes the replica unready."""
    database = await _database_ok(request)
    body: dict[str, Any] = {
        "status": "ready" if database else "not_ready",
        "checks": {"database": database},
        "info": {"nats": _nats_ok(request)},
    }
    if not database:
        body.update(type="about:blank", title="Not ready", status=503, code="not_ready")
        return JSONResponse(body, status_code=503, media_type="application/problem+json")
    return JSONResponse(body)


@router.get("/metrics", openapi_extra=PUBLIC, include_in_schema=False)
async def metrics_scrape(request: Request) -> Response:
    metrics: Metrics = request.app.state.metrics
    figures = await _figures(request)
    workers = getattr(request.app.state, "workers", None)
    metrics.set_event_state(
        nats_connected=_nats_ok(request),
        relay_leader=bool(workers is not None and workers.relay.is_leader),
        database_up=figures.database_up,
        backlog=figures.backlog,
        lag_seconds=figures.lag_seconds,
        parked=figures.parked,
    )
    return await metrics_endpoint(metrics)(request)


async def _figures(request: Request) -> OutboxFigures:
    db = getattr(request.app.state, "db", None)
    if db is None:
        return OutboxFigures()
    return await read_figures(db.engine, request.app.state.platform)


async def _database_ok(request: Request) -> bool:
    db = getattr(request.app.state, "db", None)
    if db is None:
        return False

    async def select_one() -> None:
        async with db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(select_one(), timeout=2)  # connecting is bounded too
        return True
    except Exception:
        return False


def _nats_ok(request: Request) -> bool:
    nats = getattr(request.app.state, "nats", None)
    return bool(nats is not None and nats.is_connected)
