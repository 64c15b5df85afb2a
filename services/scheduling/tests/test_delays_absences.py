"""Delays (SCH-8) and absences (SCH-11) on real PostgreSQL, with the events each patient is told by."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from clinic_common.demo import ORG_ALMATY_ID, practitioner_id

if TYPE_CHECKING:
    from conftest import World

pytestmark = pytest.mark.integration

DOCTOR = practitioner_id(ORG_ALMATY_ID, 1, 1)


async def day_of_visits(world: World, *offsets: int) -> tuple[datetime, list[str]]:
    first = await world.start(DOCTOR)
    ids = []
    for minutes in offsets:
        r = await world.book(await world.patient(), DOCTOR, first + timedelta(minutes=minutes))
        assert r.status_code == 201, r.text
        ids.append(str(r.json()["id"]))
    return first, ids


async def delay(world: World, appointment: str, minutes: Any, role: str = "doctor") -> Any:
    return await world.client.post(
        f"/v1/appointments/{appointment}/delay", json={"minutes": minutes}, headers=world.staff(role)
    )


async def test_SCH_8_a_delay_moves_the_expected_start_of_the_following_visits(world: World) -> None:
    first, (a, b, c, _later) = await day_of_visits(world, 0, 30, 60, 150)
    r = await delay(world, a, 20)
    assert r.status_code == 200, r.text
    body = r.json()
    assert datetime.fromisoformat(body["appointment"]["start"]) == first  # the booked time stays
    assert datetime.fromisoformat(body["appointment"]["expected_start"]) == first + timedelta(minutes=20)
    assert [m["id"] for m in body["moved"]] == [b, c]  # d comes after a gap that absorbs the delay
    assert [m["delay_minutes"] for m in body["moved"]] == [20, 20]
    told = {e.data["appointment_id"]: e.data for e in await world.events("appointment.delayed")}
    assert set(told) == {a, b, c}  # each moved patient is told
    assert told[c]["total_delay_minutes"] == 20
    assert datetime.fromisoformat(told[c]["expected_start"]) == first + timedelta(minutes=80)
    # the time the delayed visits are now expected to take is not offered to others
    free = await world.client.get(
        "/v1/slots",
        params={
            "practitioner_id": str(DOCTOR),
            "channel": "registry",
            "from": str(first.date()),
            "to": str(first.date()),
        },
    )
    starts = {datetime.fromisoformat(s["start"]) for s in free.json()["items"]}
    assert first + timedelta(minutes=90) not in starts  # c is expected 10:20-10:50 (booked 10:00-10:30)
    assert first + timedelta(minutes=120) in starts


async def test_SCH_8_a_delay_over_60_minutes_in_total_is_refused(world: World) -> None:
    _, (a,) = await day_of_visits(world, 0)
    assert (await delay(world, a, 45)).status_code == 200
    r = await delay(world, a, 16)
    assert (r.status_code, r.json()["code"], r.json()["rule"]) == (422, "delay_too_long", "SCH-8")
    assert r.json()["total_delay_minutes"] == 61
    assert (await delay(world, a, 15, role="registrar")).status_code == 200
    over = await delay(world, a, 61)
    assert (over.status_code, over.json()["code"]) == (422, "delay_too_long")
    not_a_number = await delay(world, a, "ten")
    assert (not_a_number.status_code, not_a_number.json()["code"]) == (422, "validation_failed")


async def test_SCH_11_an_absence_cancels_each_visit_in_the_period_one_event_per_patient(world: World) -> None:
    first, (a, b, c) = await day_of_visits(world, 0, 60, 240)
    r = await world.client.post(
        f"/v1/practitioners/{DOCTOR}/absences",
        json={"from": first.isoformat(), "to": (first + timedelta(hours=2)).isoformat(), "reason": "illness"},
        headers=world.staff("director"),
    )
    assert r.status_code == 201, r.text
    assert sorted(r.json()["cancelled_appointment_ids"]) == sorted([a, b])
    cancelled = await world.events("appointment.cancelled")
    assert {e.data["appointment_id"] for e in cancelled} == {a, b}
    assert {(e.data["reason"], e.data["refundable"], e.data["absence_id"]) for e in cancelled} == {
        ("absence", True, r.json()["id"])
    }
    (declared,) = await world.events("practitioner.absence_declared")
    assert (declared.data["cancelled_appointments"], declared.data["reason"]) == (2, "illness")
    kept = await world.client.get(f"/v1/appointments/{c}", headers=world.staff())
    assert kept.json()["status"] == "booked"
    free = await world.client.get(
        "/v1/slots",
        params={
            "practitioner_id": str(DOCTOR),
            "channel": "registry",
            "from": str(first.date()),
            "to": str(first.date()),
        },
    )
    starts = [datetime.fromisoformat(s["start"]) for s in free.json()["items"]]
    assert min(starts) == first + timedelta(hours=2)  # nothing offered while absent
    booking = await world.book(await world.patient(), DOCTOR, first + timedelta(minutes=30))
    assert (booking.status_code, booking.json()["code"], booking.json()["rule"]) == (
        422,
        "practitioner_absent",
        "SCH-11",
    )
    inverted = await world.client.post(
        f"/v1/practitioners/{DOCTOR}/absences",
        json={"from": first.isoformat(), "to": first.isoformat(), "reason": "x"},
        headers=world.staff("director"),
    )
    assert (inverted.status_code, inverted.json()["code"]) == (422, "absence_inverted")
    elsewhere = await world.client.post(
        f"/v1/practitioners/{uuid.uuid4()}/absences",
        json={"from": first.isoformat(), "to": (first + timedelta(hours=1)).isoformat(), "reason": "x"},
        headers=world.staff("director"),
    )
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (404, "practitioner_not_found")
