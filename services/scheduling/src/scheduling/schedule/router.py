"""HTTP layer of free slots (public): `GET /v1/slots`."""

from __future__ import annotations

import bisect
import functools
import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from clinic_common.auth import PUBLIC
from clinic_common.db import SessionDep
from clinic_common.errors import AppError
from clinic_common.openapi import problems
from clinic_common.schemas import LocalDate

from scheduling.appointment.schemas import Channel
from scheduling.catalog.repository import ServiceUnknown
from scheduling.practitioner.domain import PractitionerNotFound, VisitType
from scheduling.schedule import service
from scheduling.schedule.domain import PeriodInverted, PeriodTooLong

router = APIRouter(prefix="/v1/slots", tags=["slots"])


class SlotsFilterRequired(AppError):
    status = 422
    code = "slots_filter_required"
    title = "Name an organization, a branch or a practitioner"


class InvalidCursor(AppError):
    status = 422
    code = "invalid_cursor"
    title = "The cursor is not one this list returned"


class SlotRead(BaseModel):
    """api.md, Core shapes: Slot; times in the branch's own zone."""

    practitioner_id: UUID
    branch_id: UUID
    service_code: str | None
    visit_type: VisitType | None
    start: datetime
    end: datetime


class SlotPage(BaseModel):
    items: list[SlotRead]
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page")


def _cursor(slot: service.FreeSlot) -> str:
    return f"{int(slot.span.start.timestamp())}_{slot.practitioner_id}"


def _after(cursor: str) -> tuple[int, str]:
    """The (start, practitioner) a page ended at; slots sort by them."""
    try:
        stamp, practitioner = cursor.split("_", 1)
        return int(stamp), str(UUID(practitioner))
    except ValueError:
        raise InvalidCursor() from None


def _cursor_second(cursor: str | None) -> datetime | None:
    """Where the cursor's page starts, to the second (None for no or a bad cursor: the slots are
    then worked out in full, and `_slots_after` answers for the cursor)."""
    try:
        return datetime.fromtimestamp(_after(cursor)[0], UTC) if cursor is not None else None
    except (InvalidCursor, OverflowError, OSError, ValueError):
        return None


def _slots_after(slots: list[service.FreeSlot], cursor: str) -> list[service.FreeSlot]:
    """The slots after the cursor's (start second, practitioner), of slots sorted by start.

    Only slots starting within the cursor's second need their practitioner compared; before it
    none is after the cursor, after it all are (slots start after now: timestamps are positive)."""
    after = _after(cursor)
    try:
        second = datetime.fromtimestamp(after[0], UTC)
        following = second + timedelta(seconds=1)
    except (OverflowError, OSError, ValueError):  # beyond any date: before all slots, or after
        return slots if after[0] < 0 else []
    first = bisect.bisect_left(slots, second, key=service.slot_start)
    rest = bisect.bisect_left(slots, following, lo=first, key=service.slot_start)
    within = [s for s in slots[first:rest] if (int(s.span.start.timestamp()), str(s.practitioner_id)) > after]
    return within + slots[rest:]


@router.get(
    "",
    response_model=SlotPage,
    openapi_extra=PUBLIC,
    responses=problems(
        SlotsFilterRequired,
        InvalidCursor,
        PeriodTooLong,
        PeriodInverted,
        PractitionerNotFound,
        ServiceUnknown,
    ),
)
async def list_slots(
    request: Request,
    session: SessionDep,
    organization_id: UUID | None = None,
    branch_id: UUID | None = None,
    practitioner_id: UUID | None = None,
    specialty: Annotated[str | None, Query(max_length=100, pattern=r"^[a-z][a-z_]*$")] = None,
    service_code: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    visit_type: VisitType | None = None,
    channel: Annotated[Channel, Query(description="SCH-3: its lead time applies")] = Channel.website,
    from_: Annotated[
        LocalDate | None, Query(alias="from", description="Branch-local date; today by default")
    ] = None,
    to: Annotated[LocalDate | None, Query(description="Inclusive; a week from `from` by default")] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """Free slots, computed from shifts minus appointments, delays and absences; inside opening
    hours, never on a public holiday unless a shift says so (SCH-2, SCH-5, SCH-8, SCH-11). Public."""
    if organization_id is None and branch_id is None and practitioner_id is None:
        raise SlotsFilterRequired()
    slots = await service.free_slots(
        session,
        service.SlotQuery(
            organization_id=organization_id,
            branch_id=branch_id,
            practitioner_id=practitioner_id,
            specialty=specialty,
            service_code=service_code,
            visit_type=visit_type,
            channel=channel.value,
            first=from_,
            last=to,
            starting=_cursor_second(cursor),
        ),
        request.app.state.clock.now(),
    )
    if cursor is not None:
        slots = _slots_after(slots, cursor)
    page = slots[:limit]
    # A branch-day is a thousand slots: the page is written as JSON text directly (the shape
    # declared above is `SlotPage`'s), with what slots share encoded once.
    text = _PageText()
    items = ",".join([text.item(s) for s in page])
    more = _cursor(page[-1]) if len(slots) > limit else None
    return Response(f'{{"items":[{items}],"next_cursor":{_dumps(more)}}}'.encode(), media_type=JSON)


JSON = "application/json"
# What `JSONResponse` renders with, so the text is the same as rendering the page's dict.
_dumps = functools.partial(json.dumps, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


class _PageText:
    """Slots as JSON objects, with their fixed part per practitioner and branch, and each
    instant in its branch's zone, encoded once per page."""

    def __init__(self) -> None:
        self.heads: dict[tuple[UUID, UUID], str] = {}
        self.zones: dict[str, tuple[ZoneInfo, dict[datetime, str]]] = {}

    def item(self, s: service.FreeSlot) -> str:
        head = self.heads.get((s.practitioner_id, s.branch_id))
        if head is None:
            head = self.heads[(s.practitioner_id, s.branch_id)] = self._head(s)
        zoned = self.zones.get(s.time_zone)
        if zoned is None:
            zoned = self.zones[s.time_zone] = (ZoneInfo(s.time_zone), {})
        zone, local = zoned
        start, end = s.span
        start_text = local.get(start)
        if start_text is None:
            start_text = local[start] = _dumps(start.astimezone(zone).isoformat())
        end_text = local.get(end)
        if end_text is None:
            end_text = local[end] = _dumps(end.astimezone(zone).isoformat())
        return f'{head},"start":{start_text},"end":{end_text}}}'

    @staticmethod
    def _head(s: service.FreeSlot) -> str:
        """`{"practitioner_id":...,"visit_type":...` without its closing brace."""
        fixed: dict[str, Any] = {
            "practitioner_id": str(s.practitioner_id),
            "branch_id": str(s.branch_id),
            "service_code": s.service_code,
            "visit_type": s.visit_type.value if s.visit_type else None,
        }
        return _dumps(fixed)[:-1]
