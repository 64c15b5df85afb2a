"""HTTP layer of appointments: book, read, list, cancel, reschedule, delay (SCH-3..SCH-13)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from clinic_common.auth import BranchForbidden, Principal
from clinic_common.db import SessionDep
from clinic_common.errors import InstantOutOfRange, PreconditionFailed, register_constraint_error
from clinic_common.etag import IfMatch, etag
from clinic_common.idempotency import IdempotencyDep
from clinic_common.openapi import problems, unknown_entity
from clinic_common.schemas import LocalDate, Page

from scheduling import access
from scheduling.appointment import booking, changes, delays
from scheduling.appointment.domain import (
    AppointmentNotFound,
    BookingLeadTime,
    DelayTooLong,
    NotChangeable,
    NotDelayable,
    PatientBusy,
    SlotTaken,
    StartInPast,
)
from scheduling.appointment.models import Appointment
from scheduling.appointment.repository import AppointmentRepository
from scheduling.appointment.schemas import (
    AppointmentCreate,
    AppointmentRead,
    BookingRead,
    CancelBody,
    DelayBody,
    DelayRead,
    RescheduleBody,
    read_of,
)
from scheduling.catalog.repository import ServiceUnknown
from scheduling.organization.domain import NoPolicyInForce
from scheduling.practitioner.domain import PractitionerNotFound
from scheduling.schedule.domain import OutsideWorkingHours, StartNotAligned
from scheduling.schedule.service import PractitionerAbsent
from scheduling.standing.domain import (
    BookingTooLate,
    DebtOpen,
    EnrollmentNotActive,
    OutsidePreventiveWindow,
    ReferralNotValid,
    ReferralRequired,
    ReferralUsed,
    ServiceRefused,
)

register_constraint_error("ex_appointments_practitioner_overlap", SlotTaken)
register_constraint_error("ex_appointments_patient_overlap", PatientBusy)

router = APIRouter(prefix="/v1/appointments", tags=["appointments"])

BookerDep = Annotated[Principal, access.BOOK.dependency()]
ReaderDep = Annotated[Principal, access.READ_APPOINTMENT.dependency()]
ChangerDep = Annotated[Principal, access.CHANGE.dependency()]
DelayerDep = Annotated[Principal, access.DELAY.dependency()]

TIME_PROBLEMS = (
    PractitionerNotFound,
    ServiceUnknown,
    InstantOutOfRange,
    NoPolicyInForce,
    StartInPast,
    BookingLeadTime,
    StartNotAligned,
    OutsideWorkingHours,
    PractitionerAbsent,
    BranchForbidden,
    SlotTaken,
    PatientBusy,
)
BOOK_PROBLEMS = problems(
    unknown_entity("patient"),
    *TIME_PROBLEMS,
    DebtOpen,
    ServiceRefused,
    EnrollmentNotActive,
    ReferralRequired,
    ReferralNotValid,
    ReferralUsed,
    BookingTooLate,
    OutsidePreventiveWindow,
)


async def view(session: SessionDep, a: Appointment) -> AppointmentRead:
    return read_of(a, await AppointmentRepository(session).time_zone(a.branch_id))


def tagged(read: BaseModel) -> dict[str, str]:
    assert isinstance(read, AppointmentRead)
    return {"ETag": etag(read.id, read.version)}


@router.post("", status_code=201, response_model=BookingRead, responses=BOOK_PROBLEMS)
async def book(
    request: Request, body: AppointmentCreate, session: SessionDep, principal: BookerDep, idem: IdempotencyDep
) -> JSONResponse:
    """Book a visit (SCH-2..SCH-5, SCH-9, SCH-10, SCH-13); the confirmation says when to arrive
    and to bring an identity document (SCH-6). Emits `appointment.booked`."""

    async def run() -> BaseModel:
        a, policy = await booking.book(
            session, request.app.state.outbox, principal, body, request.app.state.clock.now()
        )
        read = await view(session, a)
        zone = await AppointmentRepository(session).time_zone(a.branch_id)
        return BookingRead(**read.model_dump(), confirmation=booking.confirmation(a, policy, zone))

    return await idem.run(run, principal_subject=principal.subject, headers=tagged)


@router.get("", response_model=Page[AppointmentRead])
async def list_appointments(
    session: SessionDep,
    principal: ReaderDep,
    patient_id: UUID | None = None,
    practitioner_id: UUID | None = None,
    date: Annotated[LocalDate | None, Query(description="Branch-local date of the booked start")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[UUID | None, Query(description="`next_cursor` of the previous page")] = None,
) -> Page[AppointmentRead]:
    """Appointments the caller may see: a patient their own, staff their organization's (and
    branches'), by patient, practitioner and day."""
    rows = await AppointmentRepository(session).list(
        access.visible_appointments(principal),
        patient_id=patient_id,
        practitioner_id=practitioner_id,
        day=date,
        limit=limit,
        after=cursor,
    )
    items = [read_of(a, zone) for a, zone in rows[:limit]]
    return Page(items=items, next_cursor=str(rows[limit - 1][0].id) if len(rows) > limit else None)


@router.get("/{appointment_id}", response_model=AppointmentRead, responses=problems(AppointmentNotFound))
async def read(
    appointment_id: UUID, response: Response, session: SessionDep, principal: ReaderDep
) -> AppointmentRead:
    """One appointment with its `ETag`, for `If-Match` on changes."""
    a = await AppointmentRepository(session).get(appointment_id)
    if a is None:
        raise AppointmentNotFound()
    access.check_can_read_appointment(principal, a)
    response.headers["ETag"] = etag(a.id, a.version)
    return await view(session, a)


CHANGE_PROBLEMS = (AppointmentNotFound, PreconditionFailed, NotChangeable)


@router.post("/{appointment_id}/cancel", response_model=AppointmentRead, responses=problems(*CHANGE_PROBLEMS))
async def cancel(
    request: Request,
    appointment_id: UUID,
    body: CancelBody,
    response: Response,
    session: SessionDep,
    principal: ChangerDep,
    if_match: IfMatch = None,
) -> AppointmentRead:
    """SCH-12: cancel through any channel; emits `appointment.cancelled`."""
    a = await changes.cancel(
        session,
        request.app.state.outbox,
        principal,
        appointment_id,
        body,
        if_match,
        request.app.state.clock.now(),
    )
    response.headers["ETag"] = etag(a.id, a.version)
    return await view(session, a)


@router.post(
    "/{appointment_id}/reschedule",
    response_model=AppointmentRead,
    responses=problems(*CHANGE_PROBLEMS, *TIME_PROBLEMS),
)
async def reschedule(
    request: Request,
    appointment_id: UUID,
    body: RescheduleBody,
    response: Response,
    session: SessionDep,
    principal: ChangerDep,
    if_match: IfMatch = None,
) -> AppointmentRead:
    """SCH-12, SCH-15: move to another time or practitioner in one transaction; emits
    `appointment.rescheduled`."""
    a = await changes.reschedule(
        session,
        request.app.state.outbox,
        principal,
        appointment_id,
        body,
        if_match,
        request.app.state.clock.now(),
    )
    response.headers["ETag"] = etag(a.id, a.version)
    return await view(session, a)


@router.post(
    "/{appointment_id}/delay",
    response_model=DelayRead,
    responses=problems(AppointmentNotFound, NotDelayable, DelayTooLong),
)
async def delay(
    request: Request, appointment_id: UUID, body: DelayBody, session: SessionDep, principal: DelayerDep
) -> DelayRead:
    """SCH-8: delay by `minutes` more, at most 60 in total; the later visits' expected starts move
    and each moved patient is told (`appointment.delayed`)."""
    a, moved = await delays.delay_visit(
        session,
        request.app.state.outbox,
        principal,
        appointment_id,
        body.minutes,
        request.app.state.clock.now(),
    )
    return DelayRead(appointment=await view(session, a), moved=[await view(session, m) for m in moved])
