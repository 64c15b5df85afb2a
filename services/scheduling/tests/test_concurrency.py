"""Concurrency against real PostgreSQL: the exclusion constraints decide (SCH-4), also for a
reschedule racing a booking (SCH-12)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from clinic_common.demo import ORG_ALMATY_ID, practitioner_id

if TYPE_CHECKING:
    from conftest import World

pytestmark = pytest.mark.integration

DOCTOR = practitioner_id(ORG_ALMATY_ID, 1, 1)


def outcomes(responses: list[Any]) -> Counter[tuple[int, str | None]]:
    return Counter((r.status_code, r.json().get("code") if r.status_code >= 400 else None) for r in responses)


async def test_SCH_4_200_concurrent_bookings_of_one_slot_exactly_one_wins(world: World) -> None:
    patients = [await world.patient() for _ in range(200)]
    start = await world.start(DOCTOR)
    responses = await asyncio.gather(*[world.book(p, DOCTOR, start) for p in patients])
    assert outcomes(list(responses)) == Counter({(201, None): 1, (409, "slot_taken"): 199})
    assert {r.json()["rule"] for r in responses if r.status_code == 409} == {"SCH-4"}
    async with world.svc.state.db.engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM appointments WHERE status = 'booked'")) == 1
        booked = "SELECT count(*) FROM outbox WHERE type = 'clinic.scheduling.appointment.booked'"
        assert await conn.scalar(text(booked)) == 1


async def test_SCH_4_one_patient_two_overlapping_slots_with_two_practitioners_at_once(world: World) -> None:
    other = practitioner_id(ORG_ALMATY_ID, 1, 4)  # Dostyk neurologist: Monday mornings too
    day, _ = await world.shift_day(DOCTOR)
    while day.weekday() != 0:  # both work Monday 08:00-14:00
        day, _ = await world.shift_day(DOCTOR, after_days=(day - world.clock.now().date()).days + 1)
    at = datetime.combine(day, time(8), ZoneInfo("Asia/Almaty"))
    for _ in range(5):  # a race each round, so each outcome is seen under contention
        patient = await world.patient()
        responses = await asyncio.gather(
            world.book(patient, DOCTOR, at),
            world.book(patient, other, at, visit_type="repeat_consultation"),  # 30 minutes too
        )
        assert outcomes(list(responses)) == Counter({(201, None): 1, (409, "patient_busy"): 1}), [
            r.text for r in responses
        ]
        at += timedelta(hours=1)


async def test_SCH_12_a_reschedule_racing_a_booking_into_one_slot_leaves_one_holder(world: World) -> None:
    day, shift = await world.shift_day(DOCTOR)
    first = datetime.combine(day, shift.starts, ZoneInfo("Asia/Almaty"))
    winners: Counter[str] = Counter()
    for round_ in range(5):
        mover, newcomer = await world.patient(), await world.patient()
        source = first + timedelta(minutes=60 * round_)
        target = source + timedelta(minutes=30)
        booked = await world.book(mover, DOCTOR, source)
        assert booked.status_code == 201, booked.text
        move, book = await asyncio.gather(
            world.client.post(
                f"/v1/appointments/{booked.json()['id']}/reschedule",
                json={"start": target.isoformat()},
                headers=world.staff(),
            ),
            world.book(newcomer, DOCTOR, target),
        )
        assert (move.status_code, book.status_code) in {(200, 409), (409, 201)}, (move.text, book.text)
        loser = move if move.status_code == 409 else book
        assert loser.json()["code"] == "slot_taken"
        winners["reschedule" if move.status_code == 200 else "booking"] += 1
        async with world.svc.state.db.engine.connect() as conn:
            holders = await conn.scalar(
                text("SELECT count(*) FROM appointments WHERE status = 'booked' AND start_at = :t"),
                {"t": target},
            )
        assert holders == 1
    assert sum(winners.values()) == 5
