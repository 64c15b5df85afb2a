"""`GET/PUT /_dev/clock`: moves the shared development clock (development mode only)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request

from clinic_common.auth import PUBLIC
from clinic_common.errors import AppError
from clinic_common.schemas import RequestModel

router = APIRouter(prefix="/_dev", tags=["development"])


class ClockNotSettable(AppError):
    status = 409
    code = "clock_not_settable"
    title = "This service's clock cannot be moved"


class ClockSet(RequestModel):
    now: datetime | None = None
    advance_seconds: float | None = None


@router.get("/clock", openapi_extra=PUBLIC)
async def get_clock(request: Request) -> dict[str, Any]:
    return {"now": request.app.state.clock.now()}


@router.put("/clock", openapi_extra=PUBLIC)
async def set_clock(request: Request, body: ClockSet) -> dict[str, Any]:
    clock = request.app.state.clock
    if not hasattr(clock, "set"):
        raise ClockNotSettable("Start the service with CLINIC_CLOCK_FILE to move its clock")
    if body.now is not None:
        if body.now.tzinfo is None:
            raise ClockNotSettable("`now` needs an offset")
        clock.set(body.now)
    elif body.advance_seconds is not None:
        clock.set(clock.now() + timedelta(seconds=body.advance_seconds))
    return {"now": clock.now()}
