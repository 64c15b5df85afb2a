"""HTTP layer of booking."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from clinic_common.auth import BranchForbidden, Principal
from clinic_common.db import SessionDep
from clinic_common.errors import InstantOutOfRange, register_constraint_error
from clinic_common.idempotency import IdempotencyDep
from clinic_common.openapi import problems, unknown_entity

from scheduling import access
from scheduling.appointment import service
from scheduling.appointment.domain import (
    AppointmentNotFound,
    OutsideWorkingHours,
    PatientBusy,
    PractitionerUnavailable,
    SlotTaken,
)
from scheduling.appointment.models import Appointment
from scheduling.appointment.schemas import AppointmentCreate, AppointmentRead, Payer, PayerKind
from scheduling.catalog.repository import ServiceUnknown

register_constraint_error("ex_appointments_practitioner_overlap", SlotTaken)
register_constraint_error("ex_appointments_patient_overlap", PatientBusy)

router = APIRouter(prefix="/v1/appointments", tags=["appointments"])

BookerDep = Annotated[Principal, access.BOOK.dependency()]
ReaderDep = Annotated[Principal, access.READ_APPOINTMENT.dependency()]


def to_read(a: Appointment, time_zone: str) -> AppointmentRead:
    tz = ZoneInfo(time_zone)
    return AppointmentRead(
        id=a.id,
        patient_id=a.patient_id,
        practitioner_id=a.practitioner_id,
        branch_id=a.branch_id,
        service_code=a.service_code,
        start=a.start_at.astimezone(tz),
        end=a.end_at.astimezone(tz),
        expected_start=a.expected_start_at.astimezone(tz),
        status=a.status,
        channel=a.channel,
        payer=Payer(kind=PayerKind(a.payer_kind), ref=a.payer_ref),
    )


async def _zone(session: SessionDep, a: Appointment) -> str:
    from scheduling.appointment.repository import AppointmentRepository

    org = await AppointmentRepository(session).organization(a.organization_id)
    return org.time_zone if org else "UTC"


BOOK_PROBLEMS = problems(
    unknown_entity("patient"),
    PractitionerUnavailable,
    ServiceUnknown,
    InstantOutOfRange,
    OutsideWorkingHours,
    BranchForbidden,
    SlotTaken,
    PatientBusy,
)


@router.post("", status_code=201, response_model=AppointmentRead, responses=BOOK_PROBLEMS)
async def book(
    request: Request, body: AppointmentCreate, session: SessionDep, principal: BookerDep, idem: IdempotencyDep
) -> JSONResponse:
    """Book a visit (SCH-3, SCH-4, SCH-5); emits `appointment.booked`."""

    async def run() -> BaseModel:
        appointment = await service.book(
            session, request.app.state.outbox, principal, body, request.app.state.clock.now()
        )
        return to_read(appointment, await _zone(session, appointment))

    return await idem.run(run, principal_subject=principal.subject)


@router.get("/{appointment_id}", response_model=AppointmentRead, responses=problems(AppointmentNotFound))
async def read(appointment_id: UUID, session: SessionDep, principal: ReaderDep) -> AppointmentRead:
    appointment = await service.get(session, principal, appointment_id)
    return to_read(appointment, await _zone(session, appointment))
