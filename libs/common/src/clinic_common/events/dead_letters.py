"""Listing and replaying parked events (admin endpoints of every service)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy import select, update

from clinic_common.auth import Principal, require_roles
from clinic_common.errors import AppError, NotFound, ServiceUnavailable
from clinic_common.events.consumer import EventProcessor
from clinic_common.events.envelope import EventEnvelope
from clinic_common.openapi import problems


class DeadLetterRead(BaseModel):
    id: UUID
    event_id: UUID | None
    stream: str
    subject: str
    type: str | None
    error: str
    attempts: int
    status: str
    parked_at: datetime
    replayed_at: datetime | None


class DeadLetterPage(BaseModel):
    items: list[DeadLetterRead]
    next_cursor: str | None


class ReplayResult(BaseModel):
    id: UUID
    status: str
    applied: bool


class DeadLetterNotReplayable(AppError):
    status = 409
    code = "dead_letter_not_replayable"
    title = "This dead letter cannot be replayed"


router = APIRouter(prefix="/v1/admin/dead-letters", tags=["operations"])

AdminDep = Annotated[Principal, require_roles("admin")]


@router.get("", response_model=DeadLetterPage, responses=problems(ServiceUnavailable))
async def list_dead_letters(
    request: Request,
    _: AdminDep,
    status: Annotated[str, Query(pattern="^(parked|replayed|all)$")] = "parked",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    processor: EventProcessor = request.app.state.event_processor
    t = processor.platform.dead_letters
    stmt = select(t).order_by(t.c.parked_at).limit(limit)
    if status != "all":
        stmt = stmt.where(t.c.status == status)
    async with processor.sessionmaker() as session:
        rows = (await session.execute(stmt)).mappings().all()
    return {"items": [dict(r) for r in rows], "next_cursor": None}


@router.post(
    "/{dead_letter_id}/replay",
    response_model=ReplayResult,
    responses=problems(NotFound, DeadLetterNotReplayable, ServiceUnavailable),
)
async def replay_dead_letter(request: Request, dead_letter_id: UUID, _: AdminDep) -> ReplayResult:
    """Run the parked event through its handler again; the inbox still makes it take effect once."""
    processor: EventProcessor = request.app.state.event_processor
    t = processor.platform.dead_letters
    async with processor.sessionmaker() as session:
        row = (await session.execute(select(t).where(t.c.id == dead_letter_id))).mappings().first()
    if row is None:
        raise NotFound("No such dead letter")
    if row["status"] != "parked":
        raise DeadLetterNotReplayable("Already replayed")
    try:
        envelope = EventEnvelope.model_validate_json(row["payload"])
    except ValueError as exc:
        raise DeadLetterNotReplayable("The parked message is not a valid event") from exc
    applied = await processor.process(envelope)
    clock = processor.clock
    async with processor.sessionmaker() as session, session.begin():
        await session.execute(
            update(t).where(t.c.id == dead_letter_id).values(status="replayed", replayed_at=clock.now())
        )
    return ReplayResult(id=dead_letter_id, status="replayed", applied=applied)
