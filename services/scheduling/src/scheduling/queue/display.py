"""The hall display of a branch, served by scheduling (SCH-14): a page, its board and a live
stream. Public (architecture.md § Security): it shows queue numbers only, never names."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from clinic_common.auth import PUBLIC
from clinic_common.calendar import local_date
from clinic_common.db import SessionDep
from clinic_common.openapi import problems

from scheduling.organization.repository import OrganizationRepository
from scheduling.queue import page, service
from scheduling.queue.domain import BranchNotFound
from scheduling.queue.schemas import BoardRead, RoomRead

router = APIRouter(prefix="/v1/branches", tags=["hall display"])


def board_read(b: service.Board) -> BoardRead:
    return BoardRead(
        branch_id=b.branch_id,
        branch_name=b.branch_name,
        date=b.day,
        version=b.version,
        calls=b.calls,
        last_called=b.last_called,
        rooms=[
            RoomRead(label=r.label, called=r.called, in_room=r.in_room, waiting=r.waiting) for r in b.rooms
        ],
    )


@router.get(
    "/{branch_id}/display",
    response_class=HTMLResponse,
    openapi_extra=PUBLIC,
    responses={200: {"content": {"text/html": {}}}, **problems(BranchNotFound)},
)
async def display(branch_id: UUID, session: SessionDep) -> HTMLResponse:
    """The page for the screen in the branch's hall: called numbers and who waits, live."""
    branch = await OrganizationRepository(session).branch(branch_id)
    if branch is None:
        raise BranchNotFound()
    return HTMLResponse(page.render(branch.id, branch.name))


@router.get(
    "/{branch_id}/display/board",
    response_model=BoardRead,
    openapi_extra=PUBLIC,
    responses=problems(BranchNotFound),
)
async def read_board(request: Request, branch_id: UUID, session: SessionDep) -> BoardRead:
    """What the hall display shows now: numbers only."""
    return board_read(await service.board(session, branch_id, request.app.state.clock.now()))


@router.get("/{branch_id}/display/stream", openapi_extra=PUBLIC, include_in_schema=False)
async def stream(request: Request, branch_id: UUID) -> StreamingResponse:
    """Server-Sent Events: the board each time the branch's queue changes. Each connection lasts
    a bounded time; the browser's EventSource reconnects (and after any outage) on its own.
    Left out of the OpenAPI document: an event stream is not a JSON operation."""
    db = request.app.state.db
    async with db.sessionmaker() as session:
        branch = await OrganizationRepository(session).branch(branch_id)
    if branch is None:
        raise BranchNotFound()
    settings = request.app.state.settings
    clock = request.app.state.clock
    zone = branch.time_zone

    async def events() -> AsyncIterator[str]:
        yield "retry: 1000\n\n"
        shown: tuple[object, int] | None = None
        started = beat = time.monotonic()
        while time.monotonic() - started < settings.display_stream_seconds:
            if await request.is_disconnected():
                return
            now = clock.now()
            async with db.sessionmaker() as session:
                current = (local_date(now, zone), await service.board_version(session, branch_id, now, zone))
                if current != shown:
                    board = board_read(await service.board(session, branch_id, now))
                    shown = (current[0], board.version)
                    yield f"id: {board.version}\nevent: board\ndata: {board.model_dump_json()}\n\n"
                    beat = time.monotonic()
            if time.monotonic() - beat > 15:
                yield ": keep-alive\n\n"
                beat = time.monotonic()
            await asyncio.sleep(settings.display_poll_seconds)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
