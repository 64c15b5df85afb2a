"""Arrival use cases: check-in and lateness (SCH-7), walk-ins and emergencies (SCH-3), closing the
visit (SCH-14, BIL-6), the no-show sweep (SCH-7). Never commits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.calendar import local_date
from clinic_common.errors import AppError, error_from_db
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.scheduling import (
    AppointmentArrived,
    AppointmentBooked,
    AppointmentFulfilled,
    AppointmentNoshow,
)

from scheduling import access
from scheduling.appointment import changes
from scheduling.appointment.booking import practitioner_of
from scheduling.appointment.domain import (
    CancelReason,
    Kind,
    LateOptionNeedsTime,
    NoLatenessDecision,
    NotCheckinable,
    NotInProgress,
    Status,
    TransferNeedsSameSpecialty,
    check_checkinable,
    check_option,
    is_noshow,
    late_options,
    lateness_minutes,
)
from scheduling.appointment.events import announce
from scheduling.appointment.models import Appointment
from scheduling.appointment.repository import AppointmentRepository
from scheduling.appointment.schemas import LateArrivalBody
from scheduling.catalog.repository import ServiceRepository
from scheduling.organization.domain import LatenessOption, Policy
from scheduling.patient.repository import PatientRepository
from scheduling.practitioner.domain import PractitionerNotFound, VisitType, check_branch_assigned
from scheduling.practitioner.models import Practitioner
from scheduling.queue import service as queue
from scheduling.queue.domain import EntryStatus, Group, arrival_group
from scheduling.queue.models import QueueEntry
from scheduling.queue.repository import QueueRepository
from scheduling.schedule import service as schedule
from scheduling.schedule.domain import OutsideWorkingHours
from scheduling.standing.domain import check_standing
from scheduling.standing.repository import StandingRepository


class ArrivalInFuture(AppError):
    status = 422
    code = "arrival_in_future"
    title = "The arrival time is later than now"
    rule = "SCH-7"


def _minutes(a: Appointment) -> int:
    return int((a.end_at - a.start_at).total_seconds() // 60)


def offered(a: Appointment, policy: Policy) -> list[str]:
    """SCH-7: the options the policy allows for this visit's lateness."""
    return [o.value for o in late_options(policy.lateness, a.lateness_minutes or 0, _minutes(a))]


async def check_in(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    appointment_id: uuid.UUID,
    arrived_at: datetime | None,
    now: datetime,
) -> tuple[Appointment, list[str], QueueEntry | None, int | None]:
    """SCH-7, SCH-14: the registry checks the patient in. On time: a pass in the queue at once.
    Late: the lateness and the options the policy allows; the registry applies one (late-arrival).
    A patient coming back the same day after extra procedures waits as `returning`."""
    a = await changes.load(session, principal, access.CHECK_IN, appointment_id)
    arrival = (arrived_at or now).astimezone(UTC)
    if arrival > now:
        raise ArrivalInFuture(now=now.isoformat())
    ctx = await queue.context(session, a.organization_id, now)
    entry = await QueueRepository(session).of_appointment(a.id)
    if (
        a.status == Status.ARRIVED
        and entry is not None
        and entry.status in (EntryStatus.CALLED, EntryStatus.IN_ROOM)
    ):
        entry = await queue.enqueue(session, a, Group.RETURNING, now, ctx)
        return a, [LatenessOption.SERVE.value], entry, await queue.position(session, entry, ctx)
    if a.kind != Kind.BOOKED:
        raise NotCheckinable(current_status=a.status)
    check_checkinable(a.status)
    a.status = Status.ARRIVED.value
    a.arrived_at = arrival
    a.lateness_minutes = lateness_minutes(a.expected_start_at, arrival)
    a.late_option = None
    a.version += 1
    options = offered(a, ctx.policy)
    place: int | None = None
    entry = None
    if a.lateness_minutes == 0:
        a.late_option = LatenessOption.SERVE.value
        entry = await queue.enqueue(session, a, Group.ON_TIME, now, ctx)
        place = await queue.position(session, entry, ctx)
    await announce(
        session,
        outbox,
        a,
        AppointmentArrived,
        now,
        arrived_at=arrival,
        lateness_minutes=a.lateness_minutes,
        kind=a.kind,
        options=options,
        queue_number=entry.number if entry else None,
    )
    return a, options, entry, place


async def late_arrival(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    appointment_id: uuid.UUID,
    body: LateArrivalBody,
    now: datetime,
) -> tuple[Appointment, QueueEntry | None, int | None]:
    """SCH-7: the registry applies one of the options check-in offered: serve or shorten (the
    patient waits with the others), reschedule or transfer (booked again at the new time or
    with a colleague of the same specialty), cancel or refuse (not refunded, O 3.10)."""
    a = await changes.load(session, principal, access.CHECK_IN, appointment_id)
    if a.status != Status.ARRIVED or a.late_option is not None:
        raise NoLatenessDecision(current_status=a.status)
    ctx = await queue.context(session, a.organization_id, now)
    check_option(body.option, offered(a, ctx.policy))
    a.late_option = body.option.value
    if body.option in (LatenessOption.SERVE, LatenessOption.SHORTEN):
        a.version += 1
        entry = await queue.enqueue(session, a, Group.OTHER, now, ctx)
        return a, entry, await queue.position(session, entry, ctx)
    if body.option in (LatenessOption.CANCEL, LatenessOption.REFUSE):
        refundable = ctx.policy.lateness.refund_visit_lost_to_lateness
        await changes.cancel_visit(
            session, outbox, a, CancelReason.LATE_REFUSED, refundable=refundable, channel="registry", now=now
        )
        return a, None, None
    if body.start is None or (body.option is LatenessOption.TRANSFER and body.practitioner_id is None):
        raise LateOptionNeedsTime(option=body.option.value)
    current = await practitioner_of(session, a.practitioner_id, a.organization_id)
    target = current
    if body.option is LatenessOption.TRANSFER:
        target = await practitioner_of(session, body.practitioner_id or a.practitioner_id, a.organization_id)
        if target.specialty != current.specialty or target.id == current.id:
            raise TransferNeedsSameSpecialty(specialty=current.specialty)
    await changes.move(
        session,
        outbox,
        principal,
        a,
        start=body.start,
        practitioner=target,
        visit_type=None,
        channel="registry",
        now=now,
        reason="late_arrival",
    )
    return a, None, None


async def walk_in(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    practitioner: Practitioner,
    *,
    patient_id: uuid.UUID,
    branch_id: uuid.UUID,
    service_code: str,
    visit_type: VisitType | None,
    emergency: bool,
    now: datetime,
) -> tuple[Appointment, QueueEntry, int]:
    """SCH-3: a walk-in served when the registry agrees (O 3.7), inside opening hours and the
    patient's standing (SCH-13); emergency care at once, never refused (P 6.3, O 3.17)."""
    patient = await PatientRepository(session).known(patient_id)
    access.check_can_book_for(principal, patient)
    if patient.organization_id != practitioner.organization_id:
        raise PractitionerNotFound()
    check_branch_assigned(branch_id, practitioner.branch_ids)
    access.check_can_book_at(principal, practitioner.organization_id, branch_id)
    service = await ServiceRepository(session).known(practitioner.organization_id, service_code)
    ctx = await queue.context(session, practitioner.organization_id, now)
    branch = ctx.branches[branch_id]
    chosen, length = schedule.length_of(practitioner, service, visit_type)
    if not emergency:
        local_now = now.astimezone(ZoneInfo(branch.time_zone))
        if not schedule.hours_of(branch).is_open(local_now):
            raise OutsideWorkingHours("The branch is closed now; a walk-in is served in opening hours")
        repo = StandingRepository(session)
        check_standing(
            payer_kind="patient",
            emergency=False,
            open_debt=await repo.open_debt(patient.id),
            refused_from=await repo.refused_from(patient.id),
            day=local_date(now, branch.time_zone),
        )
    a = Appointment(
        id=uuid.uuid4(),
        organization_id=practitioner.organization_id,
        branch_id=branch_id,
        practitioner_id=practitioner.id,
        patient_id=patient.id,
        service_code=service.code,
        visit_type=chosen.value if chosen else None,
        kind=(Kind.EMERGENCY if emergency else Kind.WALK_IN).value,
        start_at=now,
        end_at=now + length,
        expected_start_at=now,
        delay_minutes=0,
        status=Status.ARRIVED.value,
        channel="registry",
        payer_kind="patient",
        booked_at=now,
        booked_by=principal.subject,
        arrived_at=now,
        lateness_minutes=0,
        late_option=LatenessOption.SERVE.value,
        version=1,
    )
    try:
        async with session.begin_nested():
            await AppointmentRepository(session).add(a)
    except IntegrityError as exc:
        raise error_from_db(exc) from exc
    group = arrival_group(emergency=emergency, returning=False, late=False, booked=False)
    entry = await queue.enqueue(session, a, group, now, ctx)
    await announce(
        session,
        outbox,
        a,
        AppointmentBooked,
        now,
        channel="registry",
        payer_kind="patient",
        visit_type=a.visit_type,
        kind=a.kind,
    )
    await announce(
        session,
        outbox,
        a,
        AppointmentArrived,
        now,
        arrived_at=now,
        lateness_minutes=0,
        kind=a.kind,
        options=[LatenessOption.SERVE.value],
        queue_number=entry.number,
    )
    return a, entry, await queue.position(session, entry, ctx)


async def complete(
    session: AsyncSession, outbox: Outbox, principal: Principal, appointment_id: uuid.UUID, now: datetime
) -> Appointment:
    """The practitioner closes the visit they called in: fulfilled; billing issues the act (BIL-6)."""
    a = await changes.load(session, principal, access.SERVE, appointment_id)
    if a.status != Status.ARRIVED or not await queue.in_progress(session, a.id):
        raise NotInProgress(current_status=a.status)
    a.status = Status.FULFILLED.value
    a.fulfilled_at = now
    a.version += 1
    await queue.leave(session, a.id, now)
    await announce(session, outbox, a, AppointmentFulfilled, now, fulfilled_at=now)
    return a


async def sweep_no_shows(session: AsyncSession, outbox: Outbox, now: datetime, *, limit: int = 500) -> int:
    """SCH-7 (O 6.1.14): a booked patient who has not arrived by the policy's cutoff after the
    expected start is a no-show, treated like a refusal for lateness (not refunded). Rows another
    sweeper holds are skipped, so replicas never mark one twice."""
    candidates = await AppointmentRepository(session).overdue(now - timedelta(minutes=1), limit)
    policies: dict[uuid.UUID, Policy] = {}
    marked = 0
    for a in candidates:
        if a.organization_id not in policies:
            policies[a.organization_id] = (await queue.context(session, a.organization_id, now)).policy
        if not is_noshow(
            a.expected_start_at, now, policies[a.organization_id].lateness.no_show_after_minutes
        ):
            continue
        a.status = Status.NOSHOW.value
        a.version += 1
        await announce(session, outbox, a, AppointmentNoshow, now)
        marked += 1
    return marked
