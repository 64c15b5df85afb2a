"""/healthz (with the service clock's now), /readyz (database and NATS), /metrics."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from clinic_common.auth import PUBLIC
from clinic_common.observability import Metrics, metrics_endpoint

log = logging.getLogger(__name__)

router = APIRouter(tags=["operations"])


@router.get("/healthz", openapi_extra=PUBLIC)
async def healthz(request: Request) -> dict[str, Any]:
    return {"status": "ok", "service": request.app.state.service_name, "now": request.app.state.clock.now()}


@router.get("/readyz", openapi_extra=PUBLIC)
async def readyz(request: Request) -> JSONResponse:
    checks = {"database": await _database_ok(request), "nats": _nats_ok(request)}
    ready = all(checks.values())
    body: dict[str, Any] = {"status": "ready" if ready else "not_ready", "checks": checks}
    if not ready:
        body.update(type="about:blank", title="Not ready", status=503, code="not_ready")
        return JSONResponse(body, status_code=503, media_type="application/problem+json")
    return JSONResponse(body)


@router.get("/metrics", openapi_extra=PUBLIC, include_in_schema=False)
async def metrics_scrape(request: Request) -> Response:
    metrics: Metrics = request.app.state.metrics
    workers = getattr(request.app.state, "workers", None)
    if workers is not None:
        try:
            metrics.set_outbox_backlog(await workers.relay.backlog())
        except Exception as exc:  # metrics must answer even when the database does not
            log.debug("outbox backlog unavailable: %s", exc)
    return await metrics_endpoint(metrics)(request)


async def _database_ok(request: Request) -> bool:
    db = getattr(request.app.state, "db", None)
    if db is None:
        return False
    try:
        async with db.engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout=2)
        return True
    except Exception:
        return False


def _nats_ok(request: Request) -> bool:
    nats = getattr(request.app.state, "nats", None)
    return bool(nats is not None and nats.is_connected)
