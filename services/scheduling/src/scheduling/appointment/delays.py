"""Delays (SCH-8): the expected start moves, the booked time stays. Never commits."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.calendar import local_date, local_to_utc
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.scheduling import AppointmentDelayed

from scheduling import access
from scheduling.appointment import changes
from scheduling.appointment.domain import NotDelayable, Planned, delay
from scheduling.appointment.events import announce
from scheduling.appointment.models import Appointment
from scheduling.appointment.repository import AppointmentRepository


async def delay_visit(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    appointment_id: UUID,
    minutes: int,
    now: datetime,
) -> tuple[Appointment, list[Appointment]]:
    """SCH-8: delay a visit (at most 60 minutes in total) to finish with the previous patient;
    the later visits of the practitioner's day move with it, and each moved patient is told
    through `appointment.delayed`. Returns the visit and the later ones that moved."""
    a = await changes.load(session, principal, access.DELAY, appointment_id)
    if not a.active:
        raise NotDelayable(current_status=a.status)
    repo = AppointmentRepository(session)
    zone = await repo.time_zone(a.branch_id)
    day = local_date(a.start_at, zone)
    start = local_to_utc(day, time(0), zone)
    visits = {v.id: v for v in await repo.day_of(a.practitioner_id, start, start + timedelta(days=1))}
    planned = [Planned(v.id, v.start_at, v.end_at, v.expected_start_at) for v in visits.values()]
    moved = delay(planned, a.id, minutes)
    for m in moved:
        visit = visits[m.id]
        visit.expected_start_at = m.expected_start
        visit.delay_minutes = m.delay_minutes
        visit.version += 1
        await announce(
            session,
            outbox,
            visit,
            AppointmentDelayed,
            now,
            expected_start=m.expected_start,
            total_delay_minutes=m.delay_minutes,
        )
    return a, [visits[m.id] for m in moved[1:]]
