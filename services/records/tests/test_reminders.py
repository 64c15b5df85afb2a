"""Visit reminders at the policy's lead times, on the moved business clock (issue 8, architecture.md
§ Events: patient notifications). A visit booked, then moved, then cancelled gets exactly the
reminders that match its state at each moment."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from clinic_common.clock import SharedOffsetClock
from clinic_common.events.payloads.scheduling import AppointmentCancelled, AppointmentRescheduled
from clinic_testkit.stack import eventually, teach

from records.notification.reminders import run_once

pytestmark = pytest.mark.integration


async def reminders_sent(world: Any, patient_id: str) -> list[Any]:
    rows: list[Any] = await world.sql(
        "SELECT n.data->>'start' AS start, n.data->>'lead_minutes' AS lead FROM notifications n "
        "WHERE n.patient_id = :p AND n.kind = 'visit_reminder' ORDER BY n.created_at",
        p=patient_id,
    )
    return rows


async def test_reminders_follow_a_visit_booked_moved_and_cancelled(world: Any) -> None:
    svc = await world.stack.start(
        "records", run_workers=True, reminder_poll_seconds=0.1, delivery_poll_seconds=0.1
    )
    world.svc = svc
    clock = SharedOffsetClock(world.stack.clock_file)
    patient = await world.register()
    start = world.NOW + timedelta(hours=30)
    aid = await world.book(patient["id"], start=start)
    planned = await world.sql(
        "SELECT lead_minutes, due_at, status FROM reminders WHERE appointment_id = :a ORDER BY due_at", a=aid
    )
    assert [(r.lead_minutes, r.due_at, r.status) for r in planned] == [
        (1440, start - timedelta(hours=24), "scheduled"),
        (120, start - timedelta(hours=2), "scheduled"),
    ]

    # 24 hours before: the first reminder goes out, by the cabinet and SMS, with stored outcomes.
    clock.set(start - timedelta(hours=24) + timedelta(minutes=1))
    sent = await eventually(lambda: reminders_sent(world, patient["id"]))
    assert [(r.lead) for r in sent] == ["1440"]
    outcomes = await eventually(
        lambda: world.sql(
            "SELECT d.channel, d.status, d.provider FROM notification_deliveries d JOIN notifications n "
            "ON n.id = d.notification_id WHERE n.kind = 'visit_reminder' AND d.status <> 'pending' "
            "AND d.channel = 'sms'"
        )
    )
    assert [(o.channel, o.status, o.provider) for o in outcomes] == [("sms", "sent", "recording")]

    # Moved 20 hours later: the 2-hour reminder of the old start is cancelled, the new start planned.
    moved = start + timedelta(hours=20)
    await teach(
        svc,
        AppointmentRescheduled(
            appointment_id=aid,
            organization_id=world.ORG,
            patient_id=uuid.UUID(patient["id"]),
            practitioner_id=world.DOCTOR,
            branch_id=world.BRANCH,
            service_code="therapist_first",
            start=moved,
            end=moved + timedelta(minutes=30),
            previous_start=start,
            previous_practitioner_id=world.DOCTOR,
        ),
        aggregate_id=aid,
        sequence=2,
    )
    # Past the old start's 2-hour mark: nothing for the old time; the new 24-hour one is due.
    clock.set(start - timedelta(hours=2) + timedelta(minutes=1))
    sent = await eventually(lambda: _count(world, patient["id"], 2))
    assert [r.lead for r in sent] == ["1440", "1440"]
    assert sent[1].start.startswith((moved + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M"))  # Almaty time

    # Cancelled: its last reminder is cancelled, and nothing is sent at its time.
    await teach(
        svc,
        AppointmentCancelled(
            appointment_id=aid,
            organization_id=world.ORG,
            patient_id=uuid.UUID(patient["id"]),
            practitioner_id=world.DOCTOR,
            branch_id=world.BRANCH,
            service_code="therapist_first",
            start=moved,
            end=moved + timedelta(minutes=30),
            reason="patient",
            refundable=True,
        ),
        aggregate_id=aid,
        sequence=3,
    )
    clock.set(moved - timedelta(hours=2) + timedelta(minutes=1))
    await run_once(svc.state.db.sessionmaker, svc.state.clock)  # a cycle on the moved clock
    assert [r.lead for r in await reminders_sent(world, patient["id"])] == ["1440", "1440"]
    states = await world.sql("SELECT appointment_start, lead_minutes, status FROM reminders ORDER BY due_at")
    assert [(r.appointment_start, r.lead_minutes, r.status) for r in states] == [
        (start, 1440, "sent"),
        (moved, 1440, "sent"),
        (start, 120, "cancelled"),
        (moved, 120, "cancelled"),
    ]
    kinds = await world.sql(
        "SELECT kind FROM notifications WHERE patient_id = :p ORDER BY created_at", p=patient["id"]
    )
    assert [k.kind for k in kinds] == [
        "visit_reminder",
        "appointment_rescheduled",
        "visit_reminder",
        "appointment_cancelled",
    ]


async def _count(world: Any, patient_id: str, n: int) -> list[Any] | None:
    rows = await reminders_sent(world, patient_id)
    return rows if len(rows) >= n else None


async def test_reminder_never_sent_for_a_visit_no_longer_booked(world: Any) -> None:
    """Even if the cancellation raced the scheduler, the send checks the visit in its transaction."""
    patient = await world.register()
    start = world.NOW + timedelta(hours=3)
    aid = await world.book(patient["id"], start=start)
    await world.sql("SELECT 1")
    async with world.svc.state.db.engine.begin() as conn:
        from sqlalchemy import text

        # The projection says cancelled while the reminder row still says scheduled.
        await conn.execute(text("UPDATE appointments SET status = 'cancelled' WHERE id = :a"), {"a": aid})
    SharedOffsetClock(world.stack.clock_file).set(start - timedelta(minutes=119))
    assert await run_once(world.svc.state.db.sessionmaker, world.svc.state.clock) == 1
    assert await reminders_sent(world, patient["id"]) == []
    assert [r.status for r in await world.sql("SELECT status FROM reminders")] == ["cancelled"]
