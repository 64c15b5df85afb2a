"""Booking on real PostgreSQL: the database settles concurrent requests (SCH-4); shifts,
opening hours and public holidays bound the bookable times (SCH-5); unknown references get 422.

The days come from the shared clock the fixture sets (never from today's date), so a test finds
the same shifts whatever day it runs."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from clinic_common.calendar import Country, is_public_holiday
from clinic_common.clock import SharedOffsetClock
from clinic_common.demo import ORG_ALMATY_ID, practitioner_id
from clinic_common.events.payloads.billing import ServiceUpserted
from clinic_common.events.payloads.records import PatientRegistered
from clinic_testkit.stack import Stack, Svc, auth, teach

from scheduling.demo import seed
from scheduling.practitioner.models import Shift

pytestmark = pytest.mark.integration

ALMATY = ZoneInfo("Asia/Almaty")
DOCTOR = practitioner_id(ORG_ALMATY_ID, 1, 1)
# The business "now" of these tests: a Sunday, 14:00 in Almaty (far from midnight, so the
# seconds the clock runs on during a test never change the day).
BOOKING_NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
WEEK = [BOOKING_NOW + timedelta(days=n) for n in range(7)]


@pytest.fixture
async def scheduling(stack: Stack, request: pytest.FixtureRequest) -> Svc:
    """Scheduling with the demo seed, its clock (shared with the seed) set to BOOKING_NOW or the
    instant a test passes as the fixture's parameter."""
    SharedOffsetClock(stack.clock_file).set(getattr(request, "param", BOOKING_NOW))
    svc = await stack.start("scheduling", run_workers=False)
    async with svc.state.db.sessionmaker() as session, session.begin():
        await seed(session, svc.settings)
    service_id = uuid.uuid4()
    await teach(
        svc,
        ServiceUpserted(
            id=service_id,
            organization_id=ORG_ALMATY_ID,
            code="therapist_first",
            name="Therapist, first visit",
            duration_minutes=30,
            category="consultation",
        ),
        aggregate_id=service_id,
    )
    return svc


async def new_patient(svc: Svc) -> uuid.UUID:
    patient_id = uuid.uuid4()
    await teach(
        svc,
        PatientRegistered(
            patient_id=patient_id,
            organization_id=ORG_ALMATY_ID,
            last_name="Test",
            first_name="Patient",
            birth_date=date(1990, 1, 1),
            phone="+77010000000",
            address_text="Almaty",
        ),
        aggregate_id=patient_id,
    )
    return patient_id


async def shift_start(svc: Svc, practitioner: uuid.UUID, *, holiday: bool = False) -> datetime:
    """The start of the practitioner's next weekly shift on a (non-)holiday working date."""
    day, shift = await next_shift(svc, practitioner, holiday=holiday)
    return datetime.combine(day, shift.starts, ALMATY)


async def next_shift(svc: Svc, practitioner: uuid.UUID, *, holiday: bool = False) -> tuple[date, Shift]:
    """The practitioner's next (non-)holiday working date after the clock's day, with its shift."""
    async with svc.state.db.sessionmaker() as session:
        shifts = (
            (await session.execute(select(Shift).where(Shift.practitioner_id == practitioner)))
            .scalars()
            .all()
        )
    today = svc.state.clock.now().astimezone(ALMATY).date()
    for offset in range(1, 800):
        day = today + timedelta(days=offset)
        if is_public_holiday(Country.KZ, day) != holiday:
            continue
        for shift in shifts:
            if shift.weekday == day.weekday() and not shift.works_on_holidays:
                return day, shift
    raise AssertionError("no fitting shift date")


def body(patient: uuid.UUID, practitioner: uuid.UUID, start: datetime, **over: Any) -> dict[str, Any]:
    return {
        "patient_id": str(patient),
        "practitioner_id": str(practitioner),
        "service_code": "therapist_first",
        "start": start.isoformat(),
        "channel": "registry",
        **over,
    }


def registrar(stack: Stack) -> dict[str, str]:
    return auth(stack.token("registrar", org=str(ORG_ALMATY_ID)))


async def test_SCH_3_booking_records_channel_and_announces_it(scheduling: Svc, stack: Stack) -> None:
    patient = await new_patient(scheduling)
    start = await shift_start(scheduling, DOCTOR)
    r = await scheduling.client.post(
        "/v1/appointments", json=body(patient, DOCTOR, start, channel="call_center"), headers=registrar(stack)
    )
    assert r.status_code == 201, r.text
    booked = r.json()
    assert booked["status"] == "booked" and booked["channel"] == "call_center"
    assert datetime.fromisoformat(booked["end"]) - datetime.fromisoformat(booked["start"]) == timedelta(
        minutes=30
    )
    assert booked["start"].endswith("+05:00")  # shown in the branch's zone
    async with scheduling.state.db.engine.connect() as conn:
        events = (
            await conn.execute(text("SELECT type FROM outbox WHERE aggregate_id = :id"), {"id": booked["id"]})
        ).all()
    assert events == [("clinic.scheduling.appointment.booked",)]
    read = await scheduling.client.get(f"/v1/appointments/{booked['id']}", headers=registrar(stack))
    assert read.json() == {k: v for k, v in booked.items() if k != "confirmation"}
    assert read.headers["ETag"] == r.headers["ETag"]


async def test_SCH_4_concurrent_bookings_of_one_slot_one_wins(scheduling: Svc, stack: Stack) -> None:
    patients = [await new_patient(scheduling) for _ in range(6)]
    start = await shift_start(scheduling, DOCTOR)
    results = await asyncio.gather(
        *[
            scheduling.client.post("/v1/appointments", json=body(p, DOCTOR, start), headers=registrar(stack))
            for p in patients
        ]
    )
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201, 409, 409, 409, 409, 409], [r.text for r in results]
    refused = [r.json() for r in results if r.status_code == 409]
    assert {(p["code"], p["rule"]) for p in refused} == {("slot_taken", "SCH-4")}
    async with scheduling.state.db.engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM appointments")) == 1
        assert (
            await conn.scalar(text("SELECT count(*) FROM outbox WHERE aggregate_type = 'appointment'")) == 1
        )


async def test_SCH_4_overlapping_not_identical_times_also_conflict(scheduling: Svc, stack: Stack) -> None:
    first, second = await new_patient(scheduling), await new_patient(scheduling)
    start = await shift_start(scheduling, DOCTOR)
    ok = await scheduling.client.post(
        "/v1/appointments", json=body(first, DOCTOR, start), headers=registrar(stack)
    )
    assert ok.status_code == 201
    # A 20-minute repeat visit on its own grid (start + 20) overlaps the 30-minute first visit.
    repeat = body(second, DOCTOR, start + timedelta(minutes=20), visit_type="repeat_consultation")
    overlap = await scheduling.client.post("/v1/appointments", json=repeat, headers=registrar(stack))
    assert (overlap.status_code, overlap.json()["code"]) == (409, "slot_taken")
    adjacent = await scheduling.client.post(
        "/v1/appointments", json=body(second, DOCTOR, start + timedelta(minutes=30)), headers=registrar(stack)
    )
    assert adjacent.status_code == 201, adjacent.text  # [start, end) ranges: back to back is fine


async def common_start(svc: Svc, a: uuid.UUID) -> tuple[datetime, uuid.UUID]:
    """Another practitioner and a start inside shifts of both on one non-holiday date."""
    async with svc.state.db.sessionmaker() as session:
        rows = (await session.execute(select(Shift))).scalars().all()
    today = svc.state.clock.now().astimezone(ALMATY).date()
    for offset in range(1, 60):
        day = today + timedelta(days=offset)
        if is_public_holiday(Country.KZ, day):
            continue
        of_a = [s for s in rows if s.practitioner_id == a and s.weekday == day.weekday()]
        of_b = [
            s
            for s in rows
            if s.practitioner_id != a
            and s.weekday == day.weekday()
            and str(s.practitioner_id)[:2] == str(a)[:2]
        ]  # same organization: demo ids share their first two digits
        for x in of_a:
            for y in of_b:
                begin, finish = max(x.starts, y.starts), min(x.ends, y.ends)
                begin_at = datetime.combine(day, begin, ALMATY)
                if datetime.combine(day, finish, ALMATY) - begin_at >= timedelta(minutes=30):
                    return begin_at, y.practitioner_id
    raise AssertionError("the two practitioners never work at the same time")


async def test_SCH_4_patient_cannot_have_two_overlapping_visits(scheduling: Svc, stack: Stack) -> None:
    patient = await new_patient(scheduling)
    start, other_doctor = await common_start(scheduling, DOCTOR)
    first = await scheduling.client.post(
        "/v1/appointments", json=body(patient, DOCTOR, start), headers=registrar(stack)
    )
    assert first.status_code == 201, first.text
    second = await scheduling.client.post(
        "/v1/appointments", json=body(patient, other_doctor, start), headers=registrar(stack)
    )
    assert (second.status_code, second.json()["code"], second.json()["rule"]) == (
        409,
        "patient_busy",
        "SCH-4",
    )


async def test_SCH_5_outside_the_shift_is_refused(scheduling: Svc, stack: Stack) -> None:
    patient = await new_patient(scheduling)
    start = (await shift_start(scheduling, DOCTOR)).replace(hour=3, minute=0)
    r = await scheduling.client.post(
        "/v1/appointments", json=body(patient, DOCTOR, start), headers=registrar(stack)
    )
    assert (r.status_code, r.json()["code"], r.json()["rule"]) == (422, "outside_working_hours", "SCH-5")


@pytest.mark.parametrize("scheduling", WEEK, ids=[f"{d:%a}" for d in WEEK], indirect=True)
async def test_SCH_5_visit_running_past_the_shift_end_is_refused(scheduling: Svc, stack: Stack) -> None:
    """Whichever weekday the clock is on, the next shift's last 10 minutes cannot hold 30."""
    patient = await new_patient(scheduling)
    day, shift = await next_shift(scheduling, DOCTOR)
    late = datetime.combine(day, shift.ends, ALMATY) - timedelta(minutes=10)
    assert late.weekday() == shift.weekday
    r = await scheduling.client.post(
        "/v1/appointments", json=body(patient, DOCTOR, late), headers=registrar(stack)
    )
    assert (r.status_code, r.json()["code"]) == (422, "outside_working_hours")


async def test_SCH_5_public_holiday_is_refused_unless_the_shift_says_so(
    scheduling: Svc, stack: Stack
) -> None:
    patient = await new_patient(scheduling)
    start = await shift_start(scheduling, DOCTOR, holiday=True)
    r = await scheduling.client.post(
        "/v1/appointments", json=body(patient, DOCTOR, start), headers=registrar(stack)
    )
    assert (r.status_code, r.json()["code"], r.json()["holiday"]) == (422, "outside_working_hours", True)


async def test_unknown_patient_service_and_practitioner(scheduling: Svc, stack: Stack) -> None:
    patient = await new_patient(scheduling)
    start = await shift_start(scheduling, DOCTOR)
    unknown_patient = await scheduling.client.post(
        "/v1/appointments", json=body(uuid.uuid4(), DOCTOR, start), headers=registrar(stack)
    )
    assert (unknown_patient.status_code, unknown_patient.json()["code"]) == (422, "patient_unknown")
    unknown_service = await scheduling.client.post(
        "/v1/appointments", json=body(patient, DOCTOR, start, service_code="nope"), headers=registrar(stack)
    )
    assert (unknown_service.status_code, unknown_service.json()["code"]) == (422, "service_unknown")
    unknown_doctor = await scheduling.client.post(
        "/v1/appointments", json=body(patient, uuid.uuid4(), start), headers=registrar(stack)
    )
    assert (unknown_doctor.status_code, unknown_doctor.json()["code"]) == (404, "practitioner_not_found")


async def test_booking_idempotency_key_replays_the_booking(scheduling: Svc, stack: Stack) -> None:
    patient = await new_patient(scheduling)
    start = await shift_start(scheduling, DOCTOR)
    headers = {**registrar(stack), "Idempotency-Key": "book-1"}
    first = await scheduling.client.post(
        "/v1/appointments", json=body(patient, DOCTOR, start), headers=headers
    )
    again = await scheduling.client.post(
        "/v1/appointments", json=body(patient, DOCTOR, start), headers=headers
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]


async def test_naive_start_is_a_validation_error(scheduling: Svc, stack: Stack) -> None:
    patient = await new_patient(scheduling)
    r = await scheduling.client.post(
        "/v1/appointments",
        json={**body(patient, DOCTOR, datetime(2030, 1, 1, 10)), "start": "2030-01-10T10:00:00"},
        headers=registrar(stack),
    )
    assert (r.status_code, r.json()["code"]) == (422, "validation_failed")
    assert r.json()["errors"][0]["pointer"] == "/start"
