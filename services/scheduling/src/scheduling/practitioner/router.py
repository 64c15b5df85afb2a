"""HTTP layer of the practitioner module: public practitioner reads, staff shift reads."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from clinic_common.auth import PUBLIC, Principal
from clinic_common.db import SessionDep
from clinic_common.openapi import declare_problems, problems
from clinic_common.schemas import LocalDate, Page

from scheduling import access
from scheduling.practitioner import service
from scheduling.practitioner.domain import (
    BranchNotAssigned,
    InvalidShiftException,
    PractitionerNotFound,
    ShiftOutsideOpeningHours,
    ShiftOverlaps,
)
from scheduling.practitioner.models import Practitioner, Shift, ShiftExceptionRow
from scheduling.practitioner.schemas import (
    CertificateRead,
    PractitionerRead,
    ShiftExceptionCreate,
    ShiftExceptionRead,
    ShiftRead,
)
from scheduling.practitioner.service import ShiftOfAnotherPractitioner
from scheduling.schedule.domain import PeriodInverted, PeriodTooLong, period_days

router = APIRouter(prefix="/v1/practitioners", tags=["practitioners"])

StaffDep = Annotated[Principal, access.READ_SHIFTS.dependency()]


async def _practitioner(practitioner_id: UUID, session: SessionDep) -> Practitioner:
    return await service.get_practitioner(session, practitioner_id)


PractitionerDep = Annotated[Practitioner, Depends(_practitioner)]
"""Validate-and-fetch: the practitioner of the path, or 404 `practitioner_not_found`."""
declare_problems(_practitioner, PractitionerNotFound)


def to_read(p: Practitioner) -> PractitionerRead:
    return PractitionerRead(
        id=p.id,
        organization_id=p.organization_id,
        branch_ids=p.branch_ids,
        full_name=p.full_name,
        specialty=p.specialty,
        qualification=p.qualification,
        experience_years=p.experience_years,
        certificates=[CertificateRead.model_validate(c) for c in p.certificates],
        home_care=p.home_care,
        active=p.active,
        visit_durations=dict(p.visit_durations),
    )


def shift_to_read(s: Shift, time_zone: str) -> ShiftRead:
    return ShiftRead(
        id=s.id,
        practitioner_id=s.practitioner_id,
        branch_id=s.branch_id,
        time_zone=time_zone,
        weekday=s.weekday,
        starts=s.starts,
        ends=s.ends,
        valid_from=s.valid_from,
        valid_to=s.valid_to,
        works_on_holidays=s.works_on_holidays,
    )


@router.get("", response_model=Page[PractitionerRead], openapi_extra=PUBLIC)
async def list_practitioners(
    session: SessionDep,
    branch_id: UUID | None = None,
    specialty: Annotated[str | None, Query(max_length=100)] = None,
    organization_id: UUID | None = None,
    home_care: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[UUID | None, Query(description="`next_cursor` of the previous page")] = None,
) -> Page[PractitionerRead]:
    """Active practitioners with specialty, qualification, experience and certificates (SCH-1). Public."""
    rows = await service.list_practitioners(
        session,
        organization_id=organization_id,
        branch_id=branch_id,
        specialty=specialty,
        home_care=home_care,
        limit=limit,
        after=cursor,
    )
    return Page(
        items=[to_read(p) for p in rows[:limit]],
        next_cursor=str(rows[limit - 1].id) if len(rows) > limit else None,
    )


@router.get("/{practitioner_id}", response_model=PractitionerRead, openapi_extra=PUBLIC)
async def read_practitioner(practitioner: PractitionerDep) -> PractitionerRead:
    """One practitioner as published to patients (SCH-1). Public."""
    return to_read(practitioner)


@router.get(
    "/{practitioner_id}/shifts", response_model=Page[ShiftRead], responses=problems(PractitionerNotFound)
)
async def list_shifts(
    practitioner_id: UUID,
    session: SessionDep,
    principal: StaffDep,
    valid_on: Annotated[
        LocalDate | None, Query(description="Only shifts valid on this branch-local date")
    ] = None,
) -> Page[ShiftRead]:
    """The practitioner's weekly shifts per branch (SCH-1); staff of the organization only.
    A practitioner has a few dozen shifts at most, so the list comes in one page."""
    rows = await service.list_shifts(session, principal, practitioner_id, valid_on=valid_on)
    return Page(items=[shift_to_read(s, zone) for s, zone in rows])


ManagerDep = Annotated[Principal, access.MANAGE_SHIFTS.dependency()]
ExceptionReaderDep = Annotated[Principal, access.READ_SHIFTS.dependency()]  # its own role check


def exception_to_read(e: ShiftExceptionRow) -> ShiftExceptionRead:
    return ShiftExceptionRead(
        id=e.id,
        practitioner_id=e.practitioner_id,
        day=e.day,
        kind=e.kind,
        branch_id=e.branch_id,
        starts=e.starts,
        ends=e.ends,
        note=e.note,
    )


@router.get(
    "/{practitioner_id}/shift-exceptions",
    response_model=Page[ShiftExceptionRead],
    responses=problems(PractitionerNotFound, PeriodInverted, PeriodTooLong),
)
async def list_shift_exceptions(
    practitioner_id: UUID,
    session: SessionDep,
    principal: ExceptionReaderDep,
    from_: Annotated[LocalDate, Query(alias="from")],
    to: LocalDate,
) -> Page[ShiftExceptionRead]:
    """The dated exceptions of the weekly shifts in a period of at most 31 days (SCH-1)."""
    period_days(from_, to)
    rows = await service.list_exceptions(session, principal, practitioner_id, from_, to)
    return Page(items=[exception_to_read(r) for r in rows])


@router.post(
    "/{practitioner_id}/shift-exceptions",
    status_code=201,
    response_model=ShiftExceptionRead,
    responses=problems(
        PractitionerNotFound,
        InvalidShiftException,
        BranchNotAssigned,
        ShiftOutsideOpeningHours,
        ShiftOverlaps,
        ShiftOfAnotherPractitioner,
    ),
)
async def upsert_shift_exception(
    request: Request,
    practitioner_id: UUID,
    body: ShiftExceptionCreate,
    session: SessionDep,
    principal: ManagerDep,
) -> ShiftExceptionRead:
    """SCH-1: an extra working stretch or time off on a date; free slots follow at once."""
    row = await service.upsert_exception(
        session, request.app.state.outbox, principal, practitioner_id, body, request.app.state.clock.now()
    )
    return exception_to_read(row)
