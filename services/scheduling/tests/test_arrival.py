"""Check-in and lateness (SCH-7), the no-show sweep on the business clock, walk-ins and emergencies
(SCH-3), prepayment before a paid visit starts (BIL-4), closing the visit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import text

from clinic_common.clock import FixedClock
from clinic_common.demo import ALMATY_BRANCH_DOSTYK_ID, ORG_ALMATY_ID, ORG_MOSCOW_ID, practitioner_id
from clinic_common.events.payloads.billing import DebtOpened, PaymentCaptured, ServiceUpserted
from clinic_testkit.stack import eventually

from scheduling.arrival.service import sweep_no_shows
from scheduling.demo import seed
from scheduling.main import noshow_tick

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import World

    from clinic_testkit.stack import Stack, Svc

pytestmark = pytest.mark.integration

DOCTOR = practitioner_id(ORG_ALMATY_ID, 1, 1)
ARBAT_THERAPIST = practitioner_id(ORG_MOSCOW_ID, 1, 1)
ARBAT_HOME_THERAPIST = practitioner_id(ORG_MOSCOW_ID, 1, 5)
ARBAT_CARDIOLOGIST = practitioner_id(ORG_MOSCOW_ID, 1, 2)


async def booked(
    world: World, doctor: uuid.UUID, start: datetime, org: uuid.UUID = ORG_ALMATY_ID, **over: Any
) -> str:
    r = await world.book(await world.patient(org), doctor, start, org=org, **over)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def check_in(world: World, appointment: str, org: uuid.UUID = ORG_ALMATY_ID, **body: Any) -> Any:
    return await world.client.post(
        f"/v1/appointments/{appointment}/check-in", json=body, headers=world.staff(org=org)
    )


async def test_SCH_7_on_time_check_in_issues_a_pass(world: World) -> None:
    start = await world.start(DOCTOR)
    appointment = await booked(world, DOCTOR, start)
    world.clock.set(start.astimezone(UTC) - timedelta(minutes=5))
    r = await check_in(world, appointment)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["lateness_minutes"], body["options"]) == (0, ["serve"])
    assert body["queue"] == {"number": 1, "position": 1, "group": "on_time"}
    assert body["appointment"]["status"] == "arrived"
    (event,) = await world.events("appointment.arrived")
    assert (event.data["lateness_minutes"], event.data["queue_number"]) == (0, 1)


O_TABLE_20 = {
    0: ["serve"],
    6: ["serve", "shorten"],  # 30 % of 20 minutes is 6
    7: ["serve", "shorten", "reschedule"],
    10: ["serve", "shorten", "reschedule"],
    11: ["serve", "shorten", "reschedule", "cancel"],
    15: ["serve", "shorten", "reschedule", "cancel"],  # at the O cutoff: not yet refused
    16: ["serve", "shorten", "reschedule", "cancel", "refuse"],
}
P_TABLE_30 = {
    0: ["serve"],
    1: ["serve", "reschedule", "transfer"],
    10: ["serve", "reschedule", "transfer"],
    16: ["serve", "reschedule", "transfer"],
    30: ["serve", "reschedule", "transfer"],  # at the P cutoff
}


@pytest.mark.parametrize(
    ("org", "doctor", "visit_type", "table"),
    [
        (ORG_ALMATY_ID, DOCTOR, "repeat_consultation", O_TABLE_20),
        (ORG_MOSCOW_ID, ARBAT_THERAPIST, "first_consultation", P_TABLE_30),
    ],
    ids=["O-20min", "P-30min"],
)
async def test_SCH_7_check_in_offers_each_presets_options_at_the_boundaries(
    world: World, org: uuid.UUID, doctor: uuid.UUID, visit_type: str, table: dict[int, list[str]]
) -> None:
    first = await world.start(doctor, org)
    length = 20 if visit_type == "repeat_consultation" else 30
    visits = []
    for n, late in enumerate(table):
        start = first + timedelta(minutes=length * n)
        visits.append((late, start, await booked(world, doctor, start, org, visit_type=visit_type)))
    got = {}
    for late, start, appointment in visits:
        world.clock.set(start.astimezone(UTC) + timedelta(minutes=late, seconds=30))
        r = await check_in(world, appointment, org)
        assert r.status_code == 200, r.text
        assert r.json()["lateness_minutes"] == late
        got[late] = r.json()["options"]
        assert (r.json()["queue"] is None) == (late > 0)  # a late patient waits for the registry's decision
    assert got == table


async def test_SCH_7_late_arrival_applies_only_an_offered_option(world: World) -> None:
    first = await world.start(DOCTOR)
    short_late, very_late = (
        await booked(world, DOCTOR, first),
        await booked(world, DOCTOR, first + timedelta(minutes=30)),
    )
    world.clock.set(first.astimezone(UTC) + timedelta(minutes=5))
    assert (await check_in(world, short_late)).json()["options"] == ["serve", "shorten"]
    url = f"/v1/appointments/{short_late}/late-arrival"
    refused = await world.client.post(url, json={"option": "cancel"}, headers=world.staff())
    assert (refused.status_code, refused.json()["code"], refused.json()["rule"]) == (
        422,
        "option_not_offered",
        "SCH-7",
    )
    served = await world.client.post(url, json={"option": "shorten"}, headers=world.staff())
    assert served.status_code == 200, served.text
    assert served.json()["queue"]["group"] == "other"
    twice = await world.client.post(url, json={"option": "serve"}, headers=world.staff())
    assert (twice.status_code, twice.json()["code"]) == (409, "no_lateness_decision")

    world.clock.set(first.astimezone(UTC) + timedelta(minutes=30 + 16))
    assert "refuse" in (await check_in(world, very_late)).json()["options"]
    out = await world.client.post(
        f"/v1/appointments/{very_late}/late-arrival", json={"option": "refuse"}, headers=world.staff()
    )
    assert out.status_code == 200, out.text
    assert (out.json()["appointment"]["status"], out.json()["appointment"]["cancel_reason"]) == (
        "cancelled",
        "late_refused",
    )
    (event,) = await world.events("appointment.cancelled")
    assert (event.data["reason"], event.data["refundable"]) == ("late_refused", False)  # O 3.10


async def test_SCH_7_P_preset_transfers_a_late_patient_to_a_colleague_of_the_specialty(world: World) -> None:
    start = await world.start(ARBAT_THERAPIST, ORG_MOSCOW_ID)
    appointment = await booked(world, ARBAT_THERAPIST, start, ORG_MOSCOW_ID)
    world.clock.set(start.astimezone(UTC) + timedelta(minutes=5))
    assert (await check_in(world, appointment, ORG_MOSCOW_ID)).json()["options"] == [
        "serve",
        "reschedule",
        "transfer",
    ]
    free = await world.client.get(
        "/v1/slots",
        params={
            "practitioner_id": str(ARBAT_HOME_THERAPIST),
            "channel": "registry",
            "from": str(start.date()),
            "to": str(start.date()),
        },
    )
    target = free.json()["items"][0]["start"]
    url = f"/v1/appointments/{appointment}/late-arrival"
    mismatch = await world.client.post(
        url,
        json={"option": "transfer", "practitioner_id": str(ARBAT_CARDIOLOGIST), "start": target},
        headers=world.staff(org=ORG_MOSCOW_ID),
    )
    assert (mismatch.status_code, mismatch.json()["code"]) == (422, "transfer_specialty_mismatch")
    moved = await world.client.post(
        url,
        json={"option": "transfer", "practitioner_id": str(ARBAT_HOME_THERAPIST), "start": target},
        headers=world.staff(org=ORG_MOSCOW_ID),
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["appointment"]["practitioner_id"], moved.json()["appointment"]["status"]) == (
        str(ARBAT_HOME_THERAPIST),
        "booked",
    )
    (event,) = await world.events("appointment.rescheduled")
    assert event.data["reason"] == "late_arrival"


async def test_SCH_7_no_show_after_the_cutoff_by_the_sweep(world: World) -> None:
    start = await world.start(DOCTOR)
    appointment = await booked(world, DOCTOR, start)

    async def sweep(at: datetime) -> int:
        async with world.svc.state.db.sessionmaker() as session, session.begin():
            return await sweep_no_shows(session, world.svc.state.outbox, at)

    assert await sweep(start.astimezone(UTC) + timedelta(minutes=15)) == 0  # at the O cutoff: not yet
    assert await sweep(start.astimezone(UTC) + timedelta(minutes=15, seconds=1)) == 1
    (event,) = await world.events("appointment.noshow")
    assert event.data["appointment_id"] == appointment
    world.clock.set(start.astimezone(UTC) + timedelta(minutes=20))
    late = await check_in(world, appointment)
    assert (late.status_code, late.json()["code"]) == (409, "not_checkinable")
    assert await sweep(start.astimezone(UTC) + timedelta(hours=1)) == 0  # never twice


async def test_SCH_7_the_periodic_sweep_follows_the_business_clock(
    stack: Stack, world_of: Callable[[Svc, FixedClock], World]
) -> None:
    """The sweeper task of a running service (workers on) marks the no-show once the injected clock
    passes the cutoff, and not before."""
    clock = FixedClock(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))  # Monday 13:00 in Almaty
    svc = await stack.start("scheduling", clock=clock, noshow_sweep_seconds=0.1)
    async with svc.state.db.sessionmaker() as session, session.begin():
        await seed(session, svc.settings)
    world = world_of(svc, clock)
    service = uuid.uuid4()
    await world.teach(
        ServiceUpserted(
            id=service,
            organization_id=ORG_ALMATY_ID,
            code="therapist_first",
            name="x",
            duration_minutes=30,
            category="consultation",
        ),
        service,
    )
    start = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)  # 13:30, the shift's last visit
    appointment = await booked(world, DOCTOR, start)

    async def status() -> str:
        async with svc.state.db.engine.connect() as conn:
            return str(
                await conn.scalar(text("SELECT status FROM appointments WHERE id = :id"), {"id": appointment})
            )

    clock.set(start + timedelta(minutes=15))
    await noshow_tick(svc.app)  # a round at the cutoff itself, whatever the running sweeper does
    assert await status() == "booked"
    clock.set(start + timedelta(minutes=16))
    assert await eventually(lambda: _is(status, "noshow"), timeout=10)


async def _is(read: Any, value: str) -> bool:
    return bool(await read() == value)


async def test_SCH_7_check_in_of_a_cancelled_visit_is_refused(world: World) -> None:
    appointment = await booked(world, DOCTOR, await world.start(DOCTOR))
    await world.client.post(f"/v1/appointments/{appointment}/cancel", json={}, headers=world.staff())
    r = await check_in(world, appointment)
    assert (r.status_code, r.json()["code"], r.json()["rule"]) == (409, "not_checkinable", "SCH-7")
    future = await check_in(
        world,
        await booked(world, DOCTOR, await world.start(DOCTOR, minutes=30)),
        arrived_at=(world.clock.now() + timedelta(hours=1)).isoformat(),
    )
    assert (future.status_code, future.json()["code"]) == (422, "arrival_in_future")


async def walk_in(world: World, patient: uuid.UUID, **over: Any) -> Any:
    body = {
        "patient_id": str(patient),
        "branch_id": str(ALMATY_BRANCH_DOSTYK_ID),
        "service_code": "therapist_first",
        **over,
    }
    return await world.client.post(f"/v1/queues/{DOCTOR}/walk-ins", json=body, headers=world.staff())


async def test_SCH_3_walk_ins_in_opening_hours_emergencies_at_once_and_never_refused(world: World) -> None:
    ok = await walk_in(world, await world.patient())  # Monday 13:00 in Almaty: Dostyk is open
    assert ok.status_code == 201, ok.text
    assert ok.json()["entry"]["group"] == "other"
    world.clock.set(datetime(2026, 11, 23, 18, 0, tzinfo=UTC))  # 23:00 in Almaty
    closed = await walk_in(world, await world.patient())
    assert (closed.status_code, closed.json()["code"]) == (422, "outside_working_hours")
    debtor = await world.patient()
    debt = uuid.uuid4()
    await world.teach(
        DebtOpened(
            debt_id=debt, patient_id=debtor, organization_id=ORG_ALMATY_ID, amount="10.00", currency="KZT"
        ),
        debt,
    )
    emergency = await walk_in(world, debtor, emergency=True)
    assert emergency.status_code == 201, emergency.text
    assert emergency.json()["entry"]["group"] == "emergency" and emergency.json()["entry"]["position"] == 1
    kinds = [e.data["kind"] for e in await world.events("appointment.arrived")]
    assert kinds == ["walk_in", "emergency"]
    world.clock.set(datetime(2026, 11, 23, 8, 30, tzinfo=UTC))
    refused = await walk_in(world, debtor)
    assert (refused.status_code, refused.json()["code"]) == (403, "debt_open")


async def test_BIL_4_a_paid_visit_is_not_called_in_before_it_is_paid(world: World) -> None:
    start = await world.start(DOCTOR)
    appointment = await booked(world, DOCTOR, start)
    world.clock.set(start.astimezone(UTC) - timedelta(minutes=10))
    await check_in(world, appointment)
    doctor = world.staff("doctor")
    early = await world.client.post(f"/v1/appointments/{appointment}/complete", headers=doctor)
    assert (early.status_code, early.json()["code"]) == (409, "not_in_progress")
    unpaid = await world.client.post(f"/v1/queues/{DOCTOR}/call-next", headers=doctor)
    assert (unpaid.status_code, unpaid.json()["code"], unpaid.json()["rule"]) == (
        409,
        "payment_required",
        "BIL-4",
    )
    payment = uuid.uuid4()
    await world.teach(
        PaymentCaptured(
            payment_id=payment,
            invoice_id=uuid.uuid4(),
            patient_id=uuid.uuid4(),
            appointment_id=uuid.UUID(appointment),
            amount="12000.00",
            currency="KZT",
            balance_due="0.00",
        ),
        payment,
    )
    called = await world.client.post(f"/v1/queues/{DOCTOR}/call-next", headers=doctor)
    assert called.status_code == 200, called.text
    assert (called.json()["appointment_id"], called.json()["status"]) == (appointment, "called")
    done = await world.client.post(f"/v1/appointments/{appointment}/complete", headers=doctor)
    assert (done.status_code, done.json()["status"]) == (200, "fulfilled")
    (event,) = await world.events("appointment.fulfilled")
    assert event.data["appointment_id"] == appointment
    again = await world.client.post(f"/v1/appointments/{appointment}/complete", headers=doctor)
    assert (again.status_code, again.json()["code"]) == (409, "not_in_progress")
    empty = await world.client.post(f"/v1/queues/{DOCTOR}/call-next", headers=doctor)
    assert (empty.status_code, empty.json()["code"]) == (409, "queue_empty")


async def test_BIL_4_covered_and_P_preset_visits_are_called_without_prepayment(world: World) -> None:
    start = await world.start(ARBAT_THERAPIST, ORG_MOSCOW_ID)
    appointment = await booked(world, ARBAT_THERAPIST, start, ORG_MOSCOW_ID)  # P preset pays after the act
    world.clock.set(start.astimezone(UTC) - timedelta(minutes=10))
    await check_in(world, appointment, ORG_MOSCOW_ID)
    called = await world.client.post(
        f"/v1/queues/{ARBAT_THERAPIST}/call-next", headers=world.staff("doctor", ORG_MOSCOW_ID)
    )
    assert called.status_code == 200, called.text
