"""HTTP layer of free slots (public): `GET /v1/slots`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
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
) -> JSONResponse:
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
        ),
        request.app.state.clock.now(),
    )
    if cursor is not None:
        after = _after(cursor)
        slots = [s for s in slots if (int(s.span.start.timestamp()), str(s.practitioner_id)) > after]
    page = slots[:limit]
    # Rendered straight to JSON (a branch-day is a thousand slots): the shape is `SlotPage`'s.
    render = _Renderer()
    return JSONResponse(
        {
            "items": [render(s) for s in page],
            "next_cursor": _cursor(page[-1]) if len(slots) > limit else None,
        }
    )


class _Renderer:
    """A slot as JSON, with what repeats across slots (ids, zone) converted once."""

    def __init__(self) -> None:
        self.fixed: dict[tuple[UUID, UUID], dict[str, Any]] = {}
        self.zones: dict[str, ZoneInfo] = {}

    def __call__(self, s: service.FreeSlot) -> dict[str, Any]:
        fixed = self.fixed.get((s.practitioner_id, s.branch_id))
        if fixed is None:
            fixed = self.fixed[(s.practitioner_id, s.branch_id)] = {
                "practitioner_id": str(s.practitioner_id),
                "branch_id": str(s.branch_id),
                "service_code": s.service_code,
                "visit_type": s.visit_type.value if s.visit_type else None,
            }
        zone = self.zones.get(s.time_zone) or self.zones.setdefault(s.time_zone, ZoneInfo(s.time_zone))
        return {
            **fixed,
            "start": s.span.start.astimezone(zone).isoformat(),
            "end": s.span.end.astimezone(zone).isoformat(),
        }
