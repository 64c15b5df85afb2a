"""Listing deliveries and retrying a failed one (admin endpoints of every service)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy import func, select, update

from clinic_common.auth import Principal, require_roles
from clinic_common.db.platform import PlatformTables
from clinic_common.db.session import SessionDep
from clinic_common.errors import AppError, NotFound
from clinic_common.openapi import problems


class DeliveryRead(BaseModel):
    id: UUID
    channel: str
    idempotency_key: str
    recipient: str | None
    ref_type: str | None
    ref_id: str | None
    status: str
    attempts: int
    next_attempt_at: datetime
    lease_until: datetime | None
    provider: str | None
    last_error: str | None
    outcome: dict[str, Any] | None
    created_at: datetime
    sent_at: datetime | None


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
    next_cursor: str | None


class DeliveryNotRetryable(AppError):
    status = 409
    code = "delivery_not_retryable"
    title = "Only a failed delivery can be retried"


router = APIRouter(prefix="/v1/admin/deliveries", tags=["operations"])

AdminDep = Annotated[Principal, require_roles("admin")]


def _table(request: Request) -> Any:
    platform: PlatformTables = request.app.state.platform
    return platform.deliveries


@router.get("", response_model=DeliveryPage)
async def list_deliveries(
    request: Request,
    session: SessionDep,
    _: AdminDep,
    status: Annotated[Literal["pending", "sent", "failed", "all"], Query()] = "failed",
    channel: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[UUID | None, Query(description="`next_cursor` of the previous page")] = None,
) -> dict[str, Any]:
    """Oldest first (ids are time-ordered UUIDv7)."""
    t = _table(request)
    stmt = select(t).order_by(t.c.id).limit(limit + 1)
    if status != "all":
        stmt = stmt.where(t.c.status == status)
    if channel is not None:
        stmt = stmt.where(t.c.channel == channel)
    if cursor is not None:
        stmt = stmt.where(t.c.id > cursor)
    rows = [dict(r) for r in (await session.execute(stmt)).mappings().all()]
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": str(rows[-1]["id"]) if more else None}


@router.get("/{delivery_id}", response_model=DeliveryRead, responses=problems(NotFound))
async def read_delivery(
    request: Request, session: SessionDep, delivery_id: UUID, _: AdminDep
) -> dict[str, Any]:
    t = _table(request)
    row = (await session.execute(select(t).where(t.c.id == delivery_id))).mappings().first()
    if row is None:
        raise NotFound("No such delivery")
    return dict(row)


@router.post(
    "/{delivery_id}/retry", response_model=DeliveryRead, responses=problems(NotFound, DeliveryNotRetryable)
)
async def retry_delivery(
    request: Request, session: SessionDep, delivery_id: UUID, _: AdminDep
) -> dict[str, Any]:
    """Send a failed delivery again with its full retry budget and the same idempotency key, so a
    provider that did take it the first time still applies it once."""
    t = _table(request)
    row = (
        (
            await session.execute(
                update(t)
                .where(t.c.id == delivery_id, t.c.status == "failed")
                .values(status="pending", attempts=0, next_attempt_at=func.now(), lease_until=None)
                .returning(*t.c)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        exists = await session.scalar(select(t.c.status).where(t.c.id == delivery_id))
        if exists is None:
            raise NotFound("No such delivery")
        raise DeliveryNotRetryable(f"The delivery is {exists}")
    worker = getattr(request.app.state, "delivery_worker", None)
    if worker is not None:
        worker.wake()  # only a hint: the row is due either way once this request commits
    return dict(row)
