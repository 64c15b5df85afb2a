"""The called patient enters the practitioner's room (SCH-14, O 3.15: the patient enters only when
called): `called` → `in_room`, its time recorded; the hall display stops showing the number as
called; the visit is completed from either state."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from clinic_common.demo import MOSCOW_BRANCH_ARBAT_ID, ORG_ALMATY_ID, ORG_MOSCOW_ID, practitioner_id

if TYPE_CHECKING:
    from conftest import World

pytestmark = pytest.mark.integration

ARBAT_THERAPIST = practitioner_id(ORG_MOSCOW_ID, 1, 1)  # Arbat has the electronic queue
BOARD = f"/v1/branches/{MOSCOW_BRANCH_ARBAT_ID}/display/board"


async def arrived(world: World, count: int) -> list[dict[str, Any]]:
    """`count` booked visits, all checked in on time; their queue entries in number order."""
    await world.arrive_on_time(ARBAT_THERAPIST, ORG_MOSCOW_ID, count)
    return sorted(await entries(world), key=lambda e: e["number"])


async def entries(world: World) -> list[dict[str, Any]]:
    r = await world.client.get(f"/v1/queues/{ARBAT_THERAPIST}", headers=world.staff("doctor", ORG_MOSCOW_ID))
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def doctor(world: World) -> dict[str, str]:
    return world.staff("doctor", ORG_MOSCOW_ID)


async def call_next(world: World) -> dict[str, Any]:
    r = await world.client.post(f"/v1/queues/{ARBAT_THERAPIST}/call-next", headers=doctor(world))
    assert r.status_code == 200, r.text
    return dict(r.json())


async def enter(world: World, entry_id: str, headers: dict[str, str] | None = None) -> Any:
    return await world.client.post(
        f"/v1/queues/{ARBAT_THERAPIST}/entries/{entry_id}/enter", headers=headers or doctor(world)
    )


async def test_SCH_14_the_called_patient_enters_and_the_board_stops_showing_the_call(world: World) -> None:
    await arrived(world, 2)
    called = await call_next(world)
    board = (await world.client.get(BOARD)).json()
    assert (board["last_called"], board["rooms"][0]["called"], board["rooms"][0]["in_room"]) == (1, [1], [])

    world.clock.advance(timedelta(minutes=1))
    entered_at = world.clock.now()
    r = await enter(world, called["id"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "in_room"
    assert datetime.fromisoformat(r.json()["entered_at"]) == entered_at
    assert datetime.fromisoformat(r.json()["called_at"]) == datetime.fromisoformat(called["called_at"])

    after = (await world.client.get(BOARD)).json()
    (room,) = after["rooms"]
    assert (after["last_called"], room["called"], room["in_room"], room["waiting"]) == (None, [], [1], [2])
    assert after["version"] > board["version"]  # the display page refreshes
    assert after["calls"] == board["calls"]  # no new sound: nobody was called
    (mine,) = [e for e in await entries(world) if e["id"] == called["id"]]
    assert (mine["status"], mine["position"]) == ("in_room", None)

    second = await call_next(world)  # the next call shows while the first patient is inside
    board = (await world.client.get(BOARD)).json()
    assert (board["last_called"], board["rooms"][0]["called"], board["rooms"][0]["in_room"]) == (2, [2], [1])
    assert second["number"] == 2


async def test_SCH_14_only_a_called_patient_enters(world: World) -> None:
    first, second = await arrived(world, 2)
    waiting = await enter(world, second["id"])
    assert waiting.status_code == 409, waiting.text
    body = waiting.json()
    assert (body["code"], body["rule"], body["current_status"]) == ("not_called", "SCH-14", "waiting")

    await call_next(world)
    assert (await enter(world, first["id"])).status_code == 200
    again = await enter(world, first["id"])
    assert (again.status_code, again.json()["code"], again.json()["current_status"]) == (
        409,
        "not_called",
        "in_room",
    )

    unknown = await enter(world, str(uuid.uuid4()))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "queue_entry_not_found")
    other = practitioner_id(ORG_MOSCOW_ID, 1, 2)
    elsewhere = await world.client.post(
        f"/v1/queues/{other}/entries/{first['id']}/enter", headers=doctor(world)
    )
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (404, "queue_entry_not_found")
    foreign = await enter(world, first["id"], world.staff("doctor", ORG_ALMATY_ID))
    assert (foreign.status_code, foreign.json()["code"]) == (404, "practitioner_not_found")
    patient = await enter(world, first["id"], world.as_patient(uuid.uuid4(), ORG_MOSCOW_ID))
    assert (patient.status_code, patient.json()["code"]) == (403, "forbidden_role")


async def test_SCH_14_the_visit_is_completed_from_called_or_in_room(world: World) -> None:
    first, second = await arrived(world, 2)
    one = await call_next(world)
    assert (await enter(world, one["id"])).status_code == 200
    done = await world.client.post(
        f"/v1/appointments/{first['appointment_id']}/complete", headers=doctor(world)
    )
    assert (done.status_code, done.json()["status"]) == (200, "fulfilled")

    await call_next(world)  # the second patient is completed straight from `called`
    done = await world.client.post(
        f"/v1/appointments/{second['appointment_id']}/complete", headers=doctor(world)
    )
    assert (done.status_code, done.json()["status"]) == (200, "fulfilled")
    assert [e["status"] for e in await entries(world)] == ["done", "done"]
    board = (await world.client.get(BOARD)).json()
    (room,) = board["rooms"]
    assert (board["last_called"], room["called"], room["in_room"], room["waiting"]) == (None, [], [], [])
    late = await enter(world, first["id"])
    assert (late.status_code, late.json()["current_status"]) == (409, "done")


async def test_SCH_14_a_patient_back_from_procedures_waits_again_and_enters_again(world: World) -> None:
    (entry,) = await arrived(world, 1)
    await call_next(world)
    assert (await enter(world, entry["id"])).status_code == 200
    back = await world.client.post(
        f"/v1/appointments/{entry['appointment_id']}/check-in",
        json={},
        headers=world.staff(org=ORG_MOSCOW_ID),
    )
    assert back.status_code == 200, back.text
    assert (back.json()["queue"]["group"], back.json()["queue"]["number"]) == ("returning", entry["number"])
    (again,) = await entries(world)
    assert (again["status"], again["called_at"], again["entered_at"]) == ("waiting", None, None)
    assert (await enter(world, entry["id"])).json()["code"] == "not_called"  # called first
    await call_next(world)
    assert (await enter(world, entry["id"])).json()["status"] == "in_room"
