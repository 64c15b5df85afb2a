"""Cancel and reschedule (SCH-12), also as the registry's answer to a late arrival (SCH-7) and an
absence (SCH-11). Never commits."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Grant, Principal
from clinic_common.errors import error_from_db
from clinic_common.etag import check_if_match, etag
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.scheduling import AppointmentCancelled, AppointmentRescheduled

from scheduling import access
from scheduling.appointment.booking import policy_today, practitioner_of
from scheduling.appointment.domain import (
    AppointmentNotFound,
    CancelReason,
    NotChangeable,
    Status,
    check_changeable,
    check_start,
)
from scheduling.appointment.events import announce
from scheduling.appointment.models import Appointment
from scheduling.appointment.repository import AppointmentRepository
from scheduling.appointment.schemas import CancelBody, RescheduleBody
from scheduling.catalog.repository import ServiceRepository
from scheduling.organization import service as organizations
from scheduling.practitioner.domain import VisitType
from scheduling.practitioner.models import Practitioner
from scheduling.queue import service as queue
from scheduling.schedule import service as schedule
from scheduling.schedule.domain import Span


async def load(
    session: AsyncSession,
    principal: Principal,
    grant: Grant,
    appointment_id: UUID,
    if_match: str | None = None,
) -> Appointment:
    """The appointment, locked, if the caller may take the action on it (404 otherwise) and, with
    `If-Match`, still at the version the caller read (412 otherwise)."""
    appointment = await AppointmentRepository(session).get(appointment_id, for_update=True)
    if appointment is None:
        raise AppointmentNotFound()
    access.check_can_act_on(grant, principal, appointment)
    check_if_match(if_match, etag(appointment.id, appointment.version))
    return appointment


async def cancel(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    appointment_id: UUID,
    body: CancelBody,
    if_match: str | None,
    now: datetime,
) -> Appointment:
    """SCH-12: the patient (or the clinic for them) cancels through any channel; a patient's
    own cancellation is always reason `patient`."""
    a = await load(session, principal, access.CHANGE, appointment_id, if_match)
    if not a.active:
        raise NotChangeable(current_status=a.status)
    reason = CancelReason(body.reason) if access.CHANGE.as_staff(principal) else CancelReason.PATIENT
    channel = body.channel.value if body.channel else access.acting_channel(principal)
    await cancel_visit(session, outbox, a, reason, refundable=True, channel=channel, now=now)
    return a


async def cancel_visit(
    session: AsyncSession,
    outbox: Outbox,
    a: Appointment,
    reason: CancelReason,
    *,
    refundable: bool,
    channel: str | None,
    now: datetime,
    absence_id: UUID | None = None,
) -> None:
    a.status = Status.CANCELLED.value
    a.cancelled_at = now
    a.cancel_reason = reason.value
    a.refundable = refundable
    a.changed_via = channel
    a.version += 1
    await queue.leave(session, a.id, now)
    await announce(
        session,
        outbox,
        a,
        AppointmentCancelled,
        now,
        reason=reason.value,
        refundable=refundable,
        channel=channel,
        absence_id=absence_id,
    )


async def reschedule(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    appointment_id: UUID,
    body: RescheduleBody,
    if_match: str | None,
    now: datetime,
) -> Appointment:
    """SCH-12, SCH-15: move a booked visit to another time or practitioner in one transaction;
    the exclusion constraints guard the new time as they guard a booking (SCH-4)."""
    a = await load(session, principal, access.CHANGE, appointment_id, if_match)
    check_changeable(a.status)
    practitioner = await practitioner_of(
        session, body.practitioner_id or a.practitioner_id, a.organization_id
    )
    channel = body.channel.value if body.channel else access.acting_channel(principal)
    await move(
        session,
        outbox,
        principal,
        a,
        start=body.start,
        practitioner=practitioner,
        visit_type=body.visit_type,
        channel=channel,
        now=now,
    )
    return a


async def move(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    a: Appointment,
    *,
    start: datetime,
    practitioner: Practitioner,
    visit_type: VisitType | None,
    channel: str,
    now: datetime,
    reason: str | None = None,
) -> None:
    """The visit at its new start (and practitioner): every booking check of the new time, then
    one UPDATE the exclusion constraints judge; booked again, with no arrival or delay."""
    org = await organizations.get_organization(session, a.organization_id)
    policy = policy_today(org, now)
    service = await ServiceRepository(session).known(a.organization_id, a.service_code)
    wanted = visit_type or (VisitType(a.visit_type) if a.visit_type else None)
    chosen, length = schedule.length_of(practitioner, service, wanted)
    start = start.astimezone(UTC)
    check_start(start, now, policy.lead_minutes(channel))
    span = Span(start, start + length)
    branch_id = await schedule.place_visit(session, practitioner, span, org, skip=a.id)
    access.check_can_book_at(principal, org.id, branch_id)
    previous_start, previous_practitioner = a.start_at, a.practitioner_id
    await queue.leave(session, a.id, now)
    a.practitioner_id = practitioner.id
    a.branch_id = branch_id
    a.visit_type = chosen.value if chosen else None
    a.start_at, a.end_at, a.expected_start_at = span.start, span.end, span.start
    a.delay_minutes = 0
    a.status = Status.BOOKED.value
    a.arrived_at = None
    a.lateness_minutes = None
    a.changed_via = channel
    a.version += 1
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:  # SCH-4: the new time overlaps another visit
        raise error_from_db(exc) from exc
    await announce(
        session,
        outbox,
        a,
        AppointmentRescheduled,
        now,
        previous_start=previous_start,
        previous_practitioner_id=previous_practitioner,
        channel=channel,
        reason=reason,
    )
