"""Visit reminders at the policy's lead times, driven by the business clock.

The appointment projection says what a visit is now; `replan` makes the reminders match it (a
move cancels the reminders of the old start and plans the new ones, a cancellation cancels them,
a policy version now in force on its day swaps the lead times, ORG-3), in the transaction of the
event that changed it. `ReminderScheduler` then sends what is due on the business clock, checking
the visit once more in the same transaction, so a reminder is never sent for a visit that is no
longer booked at that start.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from fastapi import FastAPI
from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clinic_common.background import Periodic
from clinic_common.calendar import local_date, to_local
from clinic_common.clock import Clock

from records.care.models import AppointmentProjection
from records.notification.domain import reminder_due_times
from records.notification.models import Reminder
from records.notification.service import notify
from records.organization.models import OrganizationProjection
from records.patient.context import organization
from records.patient.models import Patient
from records.policy import policy_of

log = logging.getLogger(__name__)

MAX_BATCHES_PER_TICK = 50  # a backlog drains within one tick, a stuck batch cannot spin it


def lead_minutes(org: OrganizationProjection, start: datetime) -> tuple[int, ...]:
    """ORG-3: the lead times of the policy version in force on the visit's (local) day."""
    return policy_of(org, local_date(start, org.time_zone)).reminder_lead_minutes


async def replan(session: AsyncSession, appointment: AppointmentProjection, now: datetime) -> None:
    """Make the pending reminders match the visit: cancel those of another start or of a lead time
    no longer in force on its day (ORG-3), plan the missing ones. Sent reminders are never touched,
    and a reminder is one row per (visit, start, lead) whatever the replans, so it is sent once."""
    pending = [Reminder.appointment_id == appointment.id, Reminder.status == "scheduled"]
    cancel = update(Reminder).values(status="cancelled", settled_at=now)
    if appointment.status != "booked":
        await session.execute(cancel.where(*pending))
        return
    org = await organization(session, appointment.organization_id)
    leads = lead_minutes(org, appointment.start)
    await session.execute(
        cancel.where(
            *pending,
            or_(Reminder.appointment_start != appointment.start, Reminder.lead_minutes.not_in(leads)),
        )
    )
    for lead, due in reminder_due_times(appointment.start, leads, now):
        planned = pg_insert(Reminder).values(
            id=uuid.uuid4(),
            organization_id=appointment.organization_id,
            appointment_id=appointment.id,
            patient_id=appointment.patient_id,
            appointment_start=appointment.start,
            lead_minutes=lead,
            due_at=due,
            status="scheduled",
        )
        # A reminder cancelled earlier (the visit moved back, a version withdrawn) was never sent:
        # it is scheduled again rather than duplicated; a sent one stays sent.
        await session.execute(
            planned.on_conflict_do_update(
                index_elements=["appointment_id", "appointment_start", "lead_minutes"],
                set_={"status": "scheduled", "due_at": planned.excluded.due_at, "settled_at": None},
                where=Reminder.status == "cancelled",
            )
        )


async def replan_for_policy(
    session: AsyncSession, before: OrganizationProjection | None, organization_id: uuid.UUID, now: datetime
) -> int:
    """ORG-3: a version published after visits were booked governs those on or after its date.
    Re-plans the organization's future visits whose lead times the update changed (`before` is the
    projection as it was), in the projection's transaction; returns how many."""
    after = await session.get(OrganizationProjection, organization_id, populate_existing=True)
    if after is None or (before is not None and _same_policy(before, after)):
        return 0
    visits = (
        (
            await session.execute(
                select(AppointmentProjection).where(
                    AppointmentProjection.organization_id == organization_id,
                    AppointmentProjection.status == "booked",
                    AppointmentProjection.start > now,
                )
            )
        )
        .scalars()
        .all()
    )
    changed = [
        v for v in visits if before is None or lead_minutes(before, v.start) != lead_minutes(after, v.start)
    ]
    for visit in changed:
        await replan(session, visit, now)
    return len(changed)


def _same_policy(a: OrganizationProjection, b: OrganizationProjection) -> bool:
    return (a.country, a.time_zone, a.policy, a.policy_versions) == (
        b.country,
        b.time_zone,
        b.policy,
        b.policy_versions,
    )


async def send_due(session: AsyncSession, now: datetime, *, batch: int = 50) -> int:
    """Send (or drop) the reminders due at `now`; returns how many were settled."""
    due = (
        (
            await session.execute(
                select(Reminder)
                .where(Reminder.status == "scheduled", Reminder.due_at <= now)
                .order_by(Reminder.due_at)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    for reminder in due:
        appointment = await session.get(AppointmentProjection, reminder.appointment_id)
        patient = await session.get(Patient, reminder.patient_id)
        still_booked = (
            appointment is not None
            and appointment.status == "booked"
            and appointment.start == reminder.appointment_start
        )
        reminder.settled_at = now
        if not still_booked or patient is None:
            reminder.status = "cancelled"
            continue
        assert appointment is not None
        org = await organization(session, appointment.organization_id)
        local = to_local(appointment.start, org.time_zone)
        sent = await notify(
            session,
            patient,
            kind="visit_reminder",
            title="Visit reminder",
            body=f"Your visit is on {local:%d.%m.%Y at %H:%M}. Please come early with your ID.",
            medical=False,
            cause=f"reminder:{reminder.id}",
            now=now,
            data={
                "appointment_id": str(appointment.id),
                "start": local.isoformat(),
                "lead_minutes": reminder.lead_minutes,
            },
        )
        reminder.status = "sent"
        reminder.notification_id = sent.id if sent is not None else None
    return len(due)


async def run_once(sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> int:
    """One batch of due reminders in one transaction; returns how many were settled."""
    async with sessionmaker() as session, session.begin():
        return await send_due(session, clock.now())


async def tick(app: FastAPI) -> int:
    """Settle every due reminder, batch by batch; runs in every records process and replicas
    share the work (`SKIP LOCKED`)."""
    total = 0
    for _ in range(MAX_BATCHES_PER_TICK):
        settled = await run_once(app.state.db.sessionmaker, app.state.clock)
        total += settled
        if settled == 0:
            break
    return total


REMINDERS = Periodic("reminders", lambda settings: settings.reminder_poll_seconds, tick)  # type: ignore[attr-defined]
