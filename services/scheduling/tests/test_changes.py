"""Cancel and reschedule from every channel (SCH-12) with optimistic concurrency: appointments
carry an ETag, changes take If-Match and answer 412 when stale."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from clinic_common.demo import ORG_ALMATY_ID, practitioner_id

if TYPE_CHECKING:
    from conftest import World

pytestmark = pytest.mark.integration

DOCTOR = practitioner_id(ORG_ALMATY_ID, 1, 1)


@pytest.mark.parametrize(
    ("who", "channel"),
    [("patient", "cabinet"), ("call_center", "call_center"), ("registrar", "registry")],
)
async def test_SCH_12_a_visit_is_cancelled_through_any_channel(world: World, who: str, channel: str) -> None:
    patient = await world.patient()
    booked = await world.book(patient, DOCTOR, await world.start(DOCTOR))
    headers = world.as_patient(patient) if who == "patient" else world.staff(who)
    r = await world.client.post(
        f"/v1/appointments/{booked.json()['id']}/cancel", json={"reason": "clinic"}, headers=headers
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["refundable"]) == ("cancelled", True)
    # a patient's own cancellation is theirs, whatever reason the body names
    assert r.json()["cancel_reason"] == ("patient" if who == "patient" else "clinic")
    (event,) = await world.events("appointment.cancelled")
    assert (event.data["channel"], event.data["refundable"]) == (channel, True)
    again = await world.client.post(
        f"/v1/appointments/{booked.json()['id']}/cancel", json={}, headers=headers
    )
    assert (again.status_code, again.json()["code"]) == (409, "not_changeable")


async def test_SCH_12_another_patients_visit_is_invisible(world: World) -> None:
    booked = await world.book(await world.patient(), DOCTOR, await world.start(DOCTOR))
    stranger = await world.patient()
    r = await world.client.post(
        f"/v1/appointments/{booked.json()['id']}/cancel", json={}, headers=world.as_patient(stranger)
    )
    assert (r.status_code, r.json()["code"]) == (404, "appointment_not_found")


async def test_SCH_12_reschedule_with_if_match_and_412_when_stale(world: World) -> None:
    patient = await world.patient()
    start = await world.start(DOCTOR)
    booked = await world.book(patient, DOCTOR, start)
    appointment = booked.json()["id"]
    read = await world.client.get(f"/v1/appointments/{appointment}", headers=world.staff())
    tag = read.headers["ETag"]
    moved = await world.client.post(
        f"/v1/appointments/{appointment}/reschedule",
        json={"start": (start + timedelta(hours=1)).isoformat(), "channel": "call_center"},
        headers={**world.as_patient(patient), "If-Match": tag},
    )
    assert moved.status_code == 200, moved.text
    assert datetime.fromisoformat(moved.json()["start"]) == start + timedelta(hours=1)
    assert moved.headers["ETag"] != tag
    stale = await world.client.post(
        f"/v1/appointments/{appointment}/reschedule",
        json={"start": (start + timedelta(hours=2)).isoformat()},
        headers={**world.as_patient(patient), "If-Match": tag},
    )
    assert (stale.status_code, stale.json()["code"]) == (412, "precondition_failed")
    stale_cancel = await world.client.post(
        f"/v1/appointments/{appointment}/cancel", json={}, headers={**world.staff(), "If-Match": tag}
    )
    assert stale_cancel.status_code == 412
    (event,) = await world.events("appointment.rescheduled")
    assert datetime.fromisoformat(event.data["previous_start"]) == start
    assert event.data["channel"] == "call_center"
    # the old slot is free again, the new one taken
    assert (await world.book(await world.patient(), DOCTOR, start)).status_code == 201
    taken = await world.book(await world.patient(), DOCTOR, start + timedelta(hours=1))
    assert (taken.status_code, taken.json()["code"]) == (409, "slot_taken")


async def test_SCH_15_reschedule_to_another_practitioner_with_every_booking_check(world: World) -> None:
    patient = await world.patient()
    start = await world.start(DOCTOR)
    appointment = (await world.book(patient, DOCTOR, start)).json()["id"]
    other = practitioner_id(ORG_ALMATY_ID, 2, 2)  # Abay therapist
    target = await world.start(other)
    moved = await world.client.post(
        f"/v1/appointments/{appointment}/reschedule",
        json={"start": target.isoformat(), "practitioner_id": str(other)},
        headers=world.staff(),
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["practitioner_id"] == str(other)
    (event,) = await world.events("appointment.rescheduled")
    assert event.data["previous_practitioner_id"] == str(DOCTOR)
    past = await world.client.post(
        f"/v1/appointments/{appointment}/reschedule",
        json={"start": (world.clock.now() - timedelta(hours=1)).isoformat()},
        headers=world.staff(),
    )
    assert (past.status_code, past.json()["code"]) == (422, "start_in_past")
    misaligned = await world.client.post(
        f"/v1/appointments/{appointment}/reschedule",
        json={"start": (target + timedelta(minutes=7)).isoformat()},
        headers=world.staff(),
    )
    assert (misaligned.status_code, misaligned.json()["code"]) == (422, "start_not_aligned")
