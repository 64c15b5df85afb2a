"""Booking use case: load, apply the rules, persist, announce. Never commits."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.calendar import Country, is_public_holiday, to_local
from clinic_common.errors import error_from_db
from clinic_common.events.catalog import type_of
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.scheduling import AppointmentBooked

from scheduling import access
from scheduling.appointment.domain import (
    AppointmentNotFound,
    PractitionerUnavailable,
    ShiftWindow,
    place_visit,
)
from scheduling.appointment.models import Appointment
from scheduling.appointment.repository import AppointmentRepository
from scheduling.appointment.schemas import AppointmentCreate
from scheduling.catalog.repository import ServiceRepository
from scheduling.organization.domain import WeeklyInterval, to_opening_hours
from scheduling.patient.repository import PatientRepository
from scheduling.practitioner.repository import PractitionerRepository


async def book(
    session: AsyncSession, outbox: Outbox, principal: Principal, body: AppointmentCreate, now: datetime
) -> Appointment:
    """SCH-3/SCH-4/SCH-5: book a visit in a practitioner's shift; the database settles races."""
    patient = await PatientRepository(session).known(body.patient_id)
    access.check_can_book_for(principal, patient)
    practitioner = await PractitionerRepository(session).get(body.practitioner_id)
    if practitioner is None or not practitioner.active:
        raise PractitionerUnavailable()
    if patient.organization_id != practitioner.organization_id:  # so also the caller's organization
        raise PractitionerUnavailable()
    service = await ServiceRepository(session).known(practitioner.organization_id, body.service_code)
    repo = AppointmentRepository(session)
    org = await repo.organization(practitioner.organization_id)
    assert org is not None  # practitioners belong to an organization (foreign key)
    shifts = await repo.shifts_of(practitioner.id)
    branches = await repo.branches(sorted({s.branch_id for s in shifts}))
    start = to_local(body.start, org.time_zone)  # 422 `instant_out_of_range`, never an OverflowError
    end = start + timedelta(minutes=service.duration_minutes)
    branch_id = place_visit(
        start,
        end,
        [
            ShiftWindow(
                s.branch_id, s.weekday, s.starts, s.ends, s.valid_from, s.valid_to, s.works_on_holidays
            )
            for s in shifts
        ],
        {b.id: to_opening_hours(WeeklyInterval.model_validate(i) for i in b.opening_hours) for b in branches},
        public_holiday=is_public_holiday(Country(org.country), start.date()),
    )
    access.check_can_book_at(principal, org.id, branch_id)
    payer = body.payer
    appointment = Appointment(
        id=uuid.uuid4(),
        organization_id=org.id,
        branch_id=branch_id,
        practitioner_id=practitioner.id,
        patient_id=patient.id,
        service_code=service.code,
        start_at=start,
        end_at=end,
        expected_start_at=start,
        status="booked",
        channel=body.channel.value,
        payer_kind=payer.kind.value if payer else "patient",
        payer_ref=payer.ref if payer else None,
        booked_at=now,
        booked_by=principal.subject,
    )
    try:
        async with session.begin_nested():
            await repo.add(appointment)
    except IntegrityError as exc:  # SCH-4: the exclusion constraints decided
        raise error_from_db(exc) from exc
    await outbox.add(
        session,
        type=type_of(AppointmentBooked),
        aggregate_id=appointment.id,
        org_id=org.id,
        now=now,
        data=AppointmentBooked(
            appointment_id=appointment.id,
            organization_id=org.id,
            patient_id=patient.id,
            practitioner_id=practitioner.id,
            branch_id=branch_id,
            service_code=service.code,
            start=start,
            end=end,
            channel=appointment.channel,
            payer_kind=appointment.payer_kind,
            payer_ref=appointment.payer_ref,
        ),
    )
    return appointment


async def get(session: AsyncSession, principal: Principal, appointment_id: uuid.UUID) -> Appointment:
    appointment = await AppointmentRepository(session).get(appointment_id)
    if appointment is None:
        raise AppointmentNotFound()
    access.check_can_read_appointment(principal, appointment)
    return appointment
