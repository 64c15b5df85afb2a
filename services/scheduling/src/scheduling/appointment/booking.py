"""Booking use case (SCH-2..SCH-6, SCH-9, SCH-10, SCH-13): load, decide, persist, announce. Never commits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.calendar import local_date
from clinic_common.errors import error_from_db
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.scheduling import AppointmentBooked

from scheduling import access
from scheduling.appointment.domain import Kind, Status, check_start
from scheduling.appointment.events import announce
from scheduling.appointment.models import Appointment
from scheduling.appointment.repository import AppointmentRepository
from scheduling.appointment.schemas import AppointmentCreate, Confirmation
from scheduling.catalog.repository import ServiceRepository
from scheduling.organization import service as organizations
from scheduling.organization.domain import NoPolicyInForce, Policy
from scheduling.organization.models import Organization
from scheduling.patient.repository import PatientRepository
from scheduling.practitioner.domain import PractitionerNotFound
from scheduling.practitioner.models import Practitioner
from scheduling.practitioner.repository import PractitionerRepository
from scheduling.schedule import service as schedule
from scheduling.schedule.domain import Span
from scheduling.standing import service as standing


async def practitioner_of(
    session: AsyncSession, practitioner_id: uuid.UUID, organization_id: uuid.UUID
) -> Practitioner:
    """An active practitioner of the organization, else 404 `practitioner_not_found`."""
    practitioner = await PractitionerRepository(session).get_full(practitioner_id)
    if practitioner is None or not practitioner.active or practitioner.organization_id != organization_id:
        raise PractitionerNotFound()
    return practitioner


def policy_today(org: Organization, now: datetime) -> Policy:
    current = organizations.in_force(org, organizations.local_today(org, now))
    if current is None:
        raise NoPolicyInForce()
    return current.policy


def confirmation(a: Appointment, policy: Policy, time_zone: str) -> Confirmation:
    """SCH-6: arrive the policy's minutes early (O 3.13: 10; P 5.2: 15) with an identity document."""
    arrive_by = (a.start_at - timedelta(minutes=policy.arrive_early_minutes)).astimezone(ZoneInfo(time_zone))
    return Confirmation(
        arrive_early_minutes=policy.arrive_early_minutes,
        arrive_by=arrive_by,
        message=(
            f"Please arrive {policy.arrive_early_minutes} minutes early, by {arrive_by:%H:%M} "
            "on the day, with an identity document."
        ),
    )


async def book(
    session: AsyncSession, outbox: Outbox, principal: Principal, body: AppointmentCreate, now: datetime
) -> tuple[Appointment, Policy]:
    """Book a visit through a channel (SCH-3) in a practitioner's window on its grid (SCH-2,
    SCH-5), if the patient's standing allows it (SCH-9, SCH-10, SCH-13); the exclusion
    constraints settle races (SCH-4)."""
    patient = await PatientRepository(session).known(body.patient_id)
    access.check_can_book_for(principal, patient)
    practitioner = await practitioner_of(session, body.practitioner_id, patient.organization_id)
    service = await ServiceRepository(session).known(practitioner.organization_id, body.service_code)
    org = await organizations.get_organization(session, practitioner.organization_id)
    policy = policy_today(org, now)
    visit_type, length = schedule.length_of(practitioner, service, body.visit_type)
    start = body.start.astimezone(UTC)
    check_start(start, now, policy.lead_minutes(body.channel.value), emergency=body.emergency)
    span = Span(start, start + length)
    branch_id = await schedule.place_visit(session, practitioner, span, org)
    access.check_can_book_at(principal, org.id, branch_id)
    repo = AppointmentRepository(session)
    time_zone = await repo.time_zone(branch_id)
    payer_kind = body.payer.kind.value if body.payer else "patient"
    payer_ref = body.payer.ref if body.payer else None
    enrollment_id = await standing.check_booking(
        session,
        patient=patient,
        payer_kind=payer_kind,
        payer_ref=payer_ref,
        service=service,
        referral_id=body.referral_id,
        day=local_date(start, time_zone),
        today=local_date(now, time_zone),
        emergency=body.emergency,
    )
    appointment = Appointment(
        id=uuid.uuid4(),
        organization_id=org.id,
        branch_id=branch_id,
        practitioner_id=practitioner.id,
        patient_id=patient.id,
        service_code=service.code,
        visit_type=visit_type.value if visit_type else None,
        kind=Kind.BOOKED.value,
        start_at=span.start,
        end_at=span.end,
        expected_start_at=span.start,
        delay_minutes=0,
        status=Status.BOOKED.value,
        channel=body.channel.value,
        payer_kind=payer_kind,
        payer_ref=payer_ref,
        referral_id=body.referral_id,
        enrollment_id=enrollment_id,
        booked_at=now,
        booked_by=principal.subject,
        version=1,
    )
    try:
        async with session.begin_nested():
            await repo.add(appointment)
    except IntegrityError as exc:  # SCH-4: the exclusion constraints decided
        raise error_from_db(exc) from exc
    if body.referral_id is not None:
        await standing.use_referral(session, body.referral_id, appointment.id)
    await announce(
        session,
        outbox,
        appointment,
        AppointmentBooked,
        now,
        channel=appointment.channel,
        payer_kind=payer_kind,
        payer_ref=payer_ref,
        referral_id=body.referral_id,
        enrollment_id=enrollment_id,
        visit_type=appointment.visit_type,
        kind=appointment.kind,
        arrive_early_minutes=policy.arrive_early_minutes,
    )
    return appointment, policy
