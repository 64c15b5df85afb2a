"""The electronic queue on real PostgreSQL (SCH-14, SCH-8): calling order by group, appointment
time and arrival; by appointment time where a branch has no electronic queue; out-of-turn calls
with a reason; the hall display's board with numbers only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from clinic_common.demo import (
    ALMATY_BRANCH_DOSTYK_ID,
    MOSCOW_BRANCH_ARBAT_ID,
    ORG_ALMATY_ID,
    ORG_MOSCOW_ID,
    practitioner_id,
)
from clinic_common.events.payloads.billing import PaymentCaptured

if TYPE_CHECKING:
    from conftest import World

pytestmark = pytest.mark.integration

ARBAT_THERAPIST = practitioner_id(ORG_MOSCOW_ID, 1, 1)  # Arbat has the electronic queue
DOCTOR = practitioner_id(ORG_ALMATY_ID, 1, 1)  # Dostyk has none


async def book_and_arrive(
    world: World, doctor: uuid.UUID, org: uuid.UUID, starts: list[datetime], arrivals: list[int]
) -> list[str]:
    """Book each start, then check each in `arrivals[i]` minutes after the first start (in that order)."""
    ids = []
    for start in starts:
        r = await world.book(await world.patient(org), doctor, start, org=org)
        assert r.status_code == 201, r.text
        ids.append(str(r.json()["id"]))
    for appointment, minutes in sorted(zip(ids, arrivals, strict=True), key=lambda x: x[1]):
        world.clock.set(starts[0].astimezone(UTC) + timedelta(minutes=minutes))
        r = await world.client.post(
            f"/v1/appointments/{appointment}/check-in", json={}, headers=world.staff(org=org)
        )
        assert r.status_code == 200, r.text
        if r.json()["queue"] is None:  # late: the registry serves them anyway
            served = await world.client.post(
                f"/v1/appointments/{appointment}/late-arrival",
                json={"option": "serve"},
                headers=world.staff(org=org),
            )
            assert served.status_code == 200, served.text
    return ids


async def call_all(world: World, doctor: uuid.UUID, org: uuid.UUID) -> list[str]:
    called = []
    while True:
        r = await world.client.post(f"/v1/queues/{doctor}/call-next", headers=world.staff("doctor", org))
        if r.status_code == 409:
            assert r.json()["code"] == "queue_empty"
            return called
        assert r.status_code == 200, r.text
        called.append(str(r.json()["appointment_id"]))


async def test_SCH_14_the_calling_order_with_the_electronic_queue(world: World) -> None:
    first = await world.start(ARBAT_THERAPIST, ORG_MOSCOW_ID)
    late = (
        await world.book(await world.patient(ORG_MOSCOW_ID), ARBAT_THERAPIST, first, org=ORG_MOSCOW_ID)
    ).json()["id"]
    # three more visits, all arriving before their time (on time): c arrives first, then b, then d
    starts = [first + timedelta(minutes=30 * n) for n in (1, 2, 3)]
    b, c, d = await book_and_arrive(world, ARBAT_THERAPIST, ORG_MOSCOW_ID, starts, [-10, -20, 0])

    async def walk_in(emergency: bool) -> str:
        r = await world.client.post(
            f"/v1/queues/{ARBAT_THERAPIST}/walk-ins",
            json={
                "patient_id": str(await world.patient(ORG_MOSCOW_ID)),
                "branch_id": str(MOSCOW_BRANCH_ARBAT_ID),
                "service_code": "therapist_first",
                "emergency": emergency,
            },
            headers=world.staff(org=ORG_MOSCOW_ID),
        )
        assert r.status_code == 201, r.text
        return str(r.json()["appointment_id"])

    world.clock.set(first.astimezone(UTC) + timedelta(minutes=15))
    walk = await walk_in(False)  # arrives 15 minutes after the first visit's time
    world.clock.set(first.astimezone(UTC) + timedelta(minutes=25))
    r = await world.client.post(
        f"/v1/appointments/{late}/check-in", json={}, headers=world.staff(org=ORG_MOSCOW_ID)
    )
    assert r.json()["lateness_minutes"] == 25
    await world.client.post(
        f"/v1/appointments/{late}/late-arrival",
        json={"option": "serve"},
        headers=world.staff(org=ORG_MOSCOW_ID),
    )
    emergency = await walk_in(True)  # arrives last, called first
    queue = await world.client.get(
        f"/v1/queues/{ARBAT_THERAPIST}", headers=world.staff("registrar", ORG_MOSCOW_ID)
    )
    items = queue.json()["items"]
    assert [i["group"] for i in items] == ["emergency", "on_time", "on_time", "on_time", "other", "other"]
    assert [i["position"] for i in items] == [1, 2, 3, 4, 5, 6]
    # on time by appointment time (b, c, d), whatever their arrival; the others (walk-in, late) by arrival
    assert await call_all(world, ARBAT_THERAPIST, ORG_MOSCOW_ID) == [emergency, b, c, d, walk, late]


async def test_SCH_14_a_branch_without_the_electronic_queue_serves_by_appointment_time(world: World) -> None:
    first = await world.start(DOCTOR)
    starts = [first + timedelta(minutes=30 * n) for n in range(3)]
    a, b, c = await book_and_arrive(
        world, DOCTOR, ORG_ALMATY_ID, starts, [-20, 5, -25]
    )  # a on time, b late, c early
    # Dostyk prepays (BIL-4): these visits are paid, so they may start
    for appointment in (a, b, c):
        payment = uuid.uuid4()
        await world.teach(
            PaymentCaptured(
                payment_id=payment,
                invoice_id=uuid.uuid4(),
                patient_id=uuid.uuid4(),
                appointment_id=uuid.UUID(appointment),
                amount="1.00",
                currency="KZT",
                balance_due="0.00",
            ),
            payment,
        )
    assert await call_all(world, DOCTOR, ORG_ALMATY_ID) == [a, b, c]  # by time, late or not


async def test_SCH_14_a_patient_returning_after_procedures_comes_before_those_on_time(world: World) -> None:
    first = await world.start(ARBAT_THERAPIST, ORG_MOSCOW_ID)
    a, b = await book_and_arrive(
        world, ARBAT_THERAPIST, ORG_MOSCOW_ID, [first, first + timedelta(minutes=30)], [-10, -5]
    )
    doctor = world.staff("doctor", ORG_MOSCOW_ID)
    assert (await world.client.post(f"/v1/queues/{ARBAT_THERAPIST}/call-next", headers=doctor)).json()[
        "appointment_id"
    ] == a
    back = await world.client.post(
        f"/v1/appointments/{a}/check-in", json={}, headers=world.staff(org=ORG_MOSCOW_ID)
    )
    assert back.status_code == 200, back.text
    assert back.json()["queue"]["group"] == "returning" and back.json()["queue"]["position"] == 1
    assert (await world.client.post(f"/v1/queues/{ARBAT_THERAPIST}/call-next", headers=doctor)).json()[
        "appointment_id"
    ] == a
    done = await world.client.post(f"/v1/appointments/{a}/complete", headers=doctor)
    assert done.json()["status"] == "fulfilled"
    assert (await world.client.post(f"/v1/queues/{ARBAT_THERAPIST}/call-next", headers=doctor)).json()[
        "appointment_id"
    ] == b


async def test_SCH_8_an_out_of_turn_call_records_its_reason(world: World) -> None:
    first = await world.start(ARBAT_THERAPIST, ORG_MOSCOW_ID)
    a, b = await book_and_arrive(
        world, ARBAT_THERAPIST, ORG_MOSCOW_ID, [first, first + timedelta(minutes=30)], [-10, -5]
    )
    queue = (
        await world.client.get(f"/v1/queues/{ARBAT_THERAPIST}", headers=world.staff("doctor", ORG_MOSCOW_ID))
    ).json()
    second = next(i for i in queue["items"] if i["appointment_id"] == b)
    doctor = world.staff("doctor", ORG_MOSCOW_ID)
    no_reason = await world.client.post(
        f"/v1/queues/{ARBAT_THERAPIST}/call", json={"entry_id": second["id"]}, headers=doctor
    )
    assert (no_reason.status_code, no_reason.json()["code"]) == (422, "validation_failed")
    r = await world.client.post(
        f"/v1/queues/{ARBAT_THERAPIST}/call",
        json={"entry_id": second["id"], "reason": "respiratory_infection", "note": "cough, fever"},
        headers=doctor,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["out_of_turn_reason"]) == ("called", "respiratory_infection")
    again = await world.client.post(
        f"/v1/queues/{ARBAT_THERAPIST}/call",
        json={"entry_id": second["id"], "reason": "acute_symptoms"},
        headers=doctor,
    )
    assert (again.status_code, again.json()["code"]) == (409, "not_waiting")
    assert a


async def test_SCH_14_the_hall_board_shows_numbers_never_names(world: World) -> None:
    first = await world.start(ARBAT_THERAPIST, ORG_MOSCOW_ID)
    await book_and_arrive(
        world, ARBAT_THERAPIST, ORG_MOSCOW_ID, [first, first + timedelta(minutes=30)], [-10, -5]
    )
    board = await world.client.get(f"/v1/branches/{MOSCOW_BRANCH_ARBAT_ID}/display/board")
    assert board.status_code == 200, board.text
    before = board.json()
    (room,) = before["rooms"]
    assert (room["label"], room["called"], room["waiting"]) == ("Therapist", [], [1, 2])
    await world.client.post(
        f"/v1/queues/{ARBAT_THERAPIST}/call-next", headers=world.staff("doctor", ORG_MOSCOW_ID)
    )
    after = (await world.client.get(f"/v1/branches/{MOSCOW_BRANCH_ARBAT_ID}/display/board")).json()
    assert (after["last_called"], after["rooms"][0]["called"], after["rooms"][0]["waiting"]) == (1, [1], [2])
    assert after["calls"] == before["calls"] + 1 and after["version"] > before["version"]
    text = board.text + (await world.client.get(f"/v1/branches/{MOSCOW_BRANCH_ARBAT_ID}/display")).text
    for name in ("Testova", "Patient", "Elena", "Volkova"):  # patients' and practitioners' names
        assert name not in text
    missing = await world.client.get(f"/v1/branches/{uuid.uuid4()}/display/board")
    assert (missing.status_code, missing.json()["code"]) == (404, "branch_not_found")
    empty = (await world.client.get(f"/v1/branches/{ALMATY_BRANCH_DOSTYK_ID}/display/board")).json()
    assert empty["rooms"] == [] and empty["last_called"] is None
