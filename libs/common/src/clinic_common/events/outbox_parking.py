"""Outbox rows that cannot be published: parked in `outbox_dead_letters`, listed, replayed.

Order of one aggregate. Consumers apply an aggregate's events in `sequence` order, so publishing
the rows after a parked one would hand them a gap (a `cancelled` before its `booked`). The relay
therefore parks every later row of an aggregate that has a parked row ("held behind"), and only
that aggregate waits; the others flow on. Replaying any parked row of an aggregate moves all of
its parked rows back into the outbox in `sequence` order, followed by any of its rows still
unsent, so they leave in order again. (A row the relay read just before a replay committed may
be parked behind once more; it is then replayed on its own, still after the rows before it.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from clinic_common.auth import Principal, require_roles
from clinic_common.db.platform import PlatformTables
from clinic_common.errors import AppError, NotFound, ServiceUnavailable
from clinic_common.events.outbox import notify_relay
from clinic_common.openapi import problems


async def park_outbox_row(engine: AsyncEngine, platform: PlatformTables, event_id: UUID, error: str) -> bool:
    """Move one unsent outbox row into `outbox_dead_letters`; False if it was no longer unsent."""
    t, parked = platform.outbox, platform.outbox_dead_letters
    async with engine.begin() as conn:
        row = (
            await conn.execute(
                delete(t)
                .where(t.c.id == event_id, t.c.published_at.is_(None))
                .returning(
                    t.c.id,
                    t.c.position,
                    t.c.type,
                    t.c.aggregate_type,
                    t.c.aggregate_id,
                    t.c.sequence,
                    t.c.envelope,
                    t.c.headers,
                )
            )
        ).first()
        if row is None:
            return False
        await conn.execute(
            insert(parked).values(
                id=uuid4(),
                event_id=row.id,
                outbox_position=row.position,
                type=row.type,
                aggregate_type=row.aggregate_type,
                aggregate_id=row.aggregate_id,
                sequence=row.sequence,
                envelope=row.envelope,
                headers=row.headers,
                error=error[:4000],
            )
        )
    return True


class OutboxDeadLetterRead(BaseModel):
    id: UUID
    event_id: UUID
    outbox_position: int
    type: str
    aggregate_type: str
    aggregate_id: str
    sequence: int
    error: str
    status: str
    parked_at: datetime
    replayed_at: datetime | None


class OutboxDeadLetterPage(BaseModel):
    items: list[OutboxDeadLetterRead]
    next_cursor: str | None


class OutboxReplayResult(BaseModel):
    id: UUID
    status: str
    requeued: int


class OutboxDeadLetterNotReplayable(AppError):
    status = 409
    code = "outbox_dead_letter_not_replayable"
    title = "This parked outbox row cannot be replayed"


router = APIRouter(prefix="/v1/admin/outbox-dead-letters", tags=["operations"])

AdminDep = Annotated[Principal, require_roles("admin")]


@router.get("", response_model=OutboxDeadLetterPage, responses=problems(ServiceUnavailable))
async def list_outbox_dead_letters(
    request: Request,
    _: AdminDep,
    status: Annotated[str, Query(pattern="^(parked|replayed|all)$")] = "parked",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Outbox rows the relay could not publish, oldest first."""
    t = request.app.state.platform.outbox_dead_letters
    stmt = select(*(c for c in t.c if c.name not in {"envelope", "headers"}))
    stmt = stmt.order_by(t.c.parked_at, t.c.outbox_position).limit(limit)
    if status != "all":
        stmt = stmt.where(t.c.status == status)
    async with request.app.state.db.sessionmaker() as session:
        rows = (await session.execute(stmt)).mappings().all()
    return {"items": [dict(r) for r in rows], "next_cursor": None}


@router.post(
    "/{dead_letter_id}/replay",
    response_model=OutboxReplayResult,
    responses=problems(NotFound, OutboxDeadLetterNotReplayable, ServiceUnavailable),
)
async def replay_outbox_dead_letter(
    request: Request, dead_letter_id: UUID, _: AdminDep
) -> OutboxReplayResult:
    """Put the aggregate's parked rows back into the outbox, in order; the relay publishes them."""
    platform: PlatformTables = request.app.state.platform
    t, parked = platform.outbox, platform.outbox_dead_letters
    async with request.app.state.db.sessionmaker() as session, session.begin():
        target = (
            (await session.execute(select(parked).where(parked.c.id == dead_letter_id).with_for_update()))
            .mappings()
            .first()
        )
        if target is None:
            raise NotFound("No such parked outbox row")
        if target["status"] != "parked":
            raise OutboxDeadLetterNotReplayable("Already replayed")
        same_aggregate = (
            parked.c.aggregate_type == target["aggregate_type"],
            parked.c.aggregate_id == target["aggregate_id"],
        )
        group = (
            (
                await session.execute(
                    select(parked)
                    .where(parked.c.status == "parked", *same_aggregate)
                    .order_by(parked.c.sequence, parked.c.outbox_position)
                    .with_for_update()
                )
            )
            .mappings()
            .all()
        )
        unsent = (
            (
                await session.execute(
                    delete(t)
                    .where(
                        t.c.aggregate_type == target["aggregate_type"],
                        t.c.aggregate_id == target["aggregate_id"],
                        t.c.published_at.is_(None),
                    )
                    .returning(t.c.id, t.c.position, t.c.type, t.c.sequence, t.c.envelope, t.c.headers)
                )
            )
            .mappings()
            .all()
        )
        requeue = [
            {
                "id": r["event_id"],
                "type": r["type"],
                "sequence": r["sequence"],
                "envelope": r["envelope"],
                "headers": r["headers"],
            }
            for r in group
        ] + [
            {
                "id": r["id"],
                "type": r["type"],
                "sequence": r["sequence"],
                "envelope": r["envelope"],
                "headers": r["headers"],
            }
            for r in sorted(unsent, key=lambda r: r["position"])
        ]
        for values in requeue:  # one by one, so positions follow this order
            await session.execute(
                insert(t).values(
                    aggregate_type=target["aggregate_type"], aggregate_id=target["aggregate_id"], **values
                )
            )
        await session.execute(
            update(parked)
            .where(parked.c.id.in_([r["id"] for r in group]))
            .values(status="replayed", replayed_at=request.app.state.clock.now())
        )
        await notify_relay(session)
    return OutboxReplayResult(id=dead_letter_id, status="replayed", requeued=len(group))
