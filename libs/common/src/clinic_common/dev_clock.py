"""`GET/PUT /_dev/clock`: moves the shared development clock (development mode only).

`create_service_app` mounts this router only when `settings.dev_mode`; the router checks it again on
every request, so mounting it by mistake in production still answers 404, as if it were absent.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from clinic_common.auth import PUBLIC
from clinic_common.errors import AppError, NotFound
from clinic_common.openapi import declare_problems, problems
from clinic_common.schemas import Instant, RequestModel


async def _development_only(request: Request) -> None:
    settings = getattr(request.app.state, "settings", None)
    if settings is None or not settings.dev_mode:
        raise NotFound()


declare_problems(_development_only, NotFound)
router = APIRouter(prefix="/_dev", tags=["development"], dependencies=[Depends(_development_only)])


class ClockNotSettable(AppError):
    status = 409
    code = "clock_not_settable"
    title = "This service's clock cannot be moved"


class ClockOutOfRange(AppError):
    status = 422
    code = "clock_out_of_range"
    title = "The clock cannot be moved there"


# A development clock far outside these bounds would break date arithmetic in every service.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


class ClockSet(RequestModel):
    now: Instant | None = None
    advance_seconds: float | None = Field(default=None, allow_inf_nan=False, ge=-1e10, le=1e10)


class ClockRead(BaseModel):
    now: datetime


@router.get("/clock", openapi_extra=PUBLIC, response_model=ClockRead)
async def get_clock(request: Request) -> dict[str, Any]:
    return {"now": request.app.state.clock.now()}


@router.put(
    "/clock",
    openapi_extra=PUBLIC,
    response_model=ClockRead,
    responses=problems(ClockNotSettable, ClockOutOfRange),
)
async def set_clock(request: Request, body: ClockSet) -> dict[str, Any]:
    clock = request.app.state.clock
    if not hasattr(clock, "set"):
        raise ClockNotSettable("Start the service with CLINIC_CLOCK_FILE to move its clock")
    if body.now is None and body.advance_seconds is None:
        return {"now": clock.now()}
    try:
        target = (
            body.now if body.now is not None else clock.now() + timedelta(seconds=body.advance_seconds or 0)
        )
    except OverflowError:
        raise ClockOutOfRange() from None
    if not EARLIEST <= target <= LATEST:
        raise ClockOutOfRange(f"Choose an instant between {EARLIEST:%Y} and {LATEST:%Y}")
    clock.set(target)
    return {"now": clock.now()}
