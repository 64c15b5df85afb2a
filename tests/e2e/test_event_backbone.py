"""The event backbone end to end: outbox -> relay -> JetStream -> consumer -> inbox, with faults.

Records registers a patient (REC-1) and writes `patient.registered` through its outbox; scheduling
consumes it into its patient projection. Real PostgreSQL and a real NATS JetStream throughout.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from typing import Any

import nats
import pytest
from sqlalchemy import select, text

from clinic_common.events.catalog import type_of
from clinic_common.events.consumer import EventConsumer, EventProcessor, HandlerContext
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.records import PatientRegistered
from clinic_common.events.relay import OutboxRelay
from clinic_common.events.streams import ensure_stream, stream_name
from clinic_testkit.stack import Stack, Svc, auth, eventually, organization_event, teach

pytestmark = pytest.mark.e2e

ORG = uuid.UUID("0b000000-0000-4000-8000-0000000000cc")


class SimulatedCrash(BaseException):
    """Stands for the process dying: not an Exception, so no handler mops up after it."""


def patient_body(n: int = 0) -> dict[str, Any]:
    return {
        "organization_id": str(ORG),
        "last_name": f"Иванов{n}",
        "first_name": "Пётр",
        "birth_date": "1985-03-02",
        "identity_document": {"kind": "passport", "number": f"4510 12345{n}"},
        "address": {"text": "Москва, ул. Арбат 1"},
        "phone": "+7 916 000 00 00",
        "personal_data_consent": True,
    }


async def start_records(stack: Stack, **over: Any) -> Svc:
    svc = await stack.start("records", **over)
    await teach(svc, organization_event(ORG, "RU"), aggregate_id=ORG)
    return svc


async def register(stack: Stack, records: Svc, n: int = 0) -> str:
    headers = auth(stack.token("registrar", org=str(ORG)))
    r = await records.client.post("/v1/patients", json=patient_body(n), headers=headers)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def scalar(svc: Svc, sql: str, **params: Any) -> Any:
    async with svc.state.db.engine.connect() as conn:
        return await conn.scalar(text(sql), params)


async def projected(scheduling: Svc, patient_id: str) -> int:
    return int(await scalar(scheduling, "SELECT count(*) FROM patients WHERE id = :id", id=patient_id))


async def stream_messages(nats_url: str, producer: str) -> int:
    nc = await nats.connect(nats_url)
    try:
        info = await nc.jetstream().stream_info(stream_name(producer))
        return int(info.state.messages)
    finally:
        await nc.close()


async def test_REC_1_patient_registered_reaches_scheduling_which_then_knows_the_patient(stack: Stack) -> None:
    records = await start_records(stack)
    scheduling = await stack.start("scheduling")
    token = auth(stack.token("registrar", org=str(ORG)))
    unknown = await scheduling.client.post(
        "/v1/appointments",
        json={
            "patient_id": str(uuid.uuid4()),
            "practitioner_id": str(uuid.uuid4()),
            "service_code": "therapist_first",
            "start": "2030-01-10T10:00:00+03:00",
            "channel": "registry",
        },
        headers=token,
    )
    assert (unknown.status_code, unknown.json()["code"]) == (422, "patient_unknown")

    patient_id = await register(stack, records)
    await eventually(lambda: projected(scheduling, patient_id))
    row = await scalar(scheduling, "SELECT last_name FROM patients WHERE id = :id", id=patient_id)
    assert row == "Иванов0"
    assert await scalar(records, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
    assert await scalar(scheduling, "SELECT count(*) FROM inbox") == 1


async def test_scheduling_answers_patient_unknown_until_it_learns_the_patient(stack: Stack) -> None:
    records = await start_records(stack)
    scheduling = await stack.start("scheduling", run_workers=False)  # not consuming yet
    patient_id = await register(stack, records)
    token = auth(stack.token("registrar", org=str(ORG)))

    async def book() -> Any:
        return await scheduling.client.post(
            "/v1/appointments",
            json={
                "patient_id": patient_id,
                "practitioner_id": str(uuid.uuid4()),
                "service_code": "therapist_first",
                "start": "2030-01-10T10:00:00+03:00",
                "channel": "registry",
            },
            headers=token,
        )

    before = await book()
    assert (before.status_code, before.json()["code"]) == (422, "patient_unknown")
    assert before.json()["entity_id"] == patient_id
    await stack.stop(scheduling)
    scheduling = await stack.start("scheduling")  # now its consumer runs

    async def learned() -> bool:
        return (await book()).json().get("code") != "patient_unknown"

    await eventually(learned)


async def test_nats_down_between_commit_and_publish_delivers_after_return_once(
    stack: Stack, nats_factory: Any
) -> None:
    server = nats_factory()
    records = await start_records(stack, nats_url=server.url)
    scheduling = await stack.start("scheduling", nats_url=server.url)
    await eventually(lambda: _consumer_ready(scheduling))
    server.stop()
    patient_id = await register(stack, records)  # commits while NATS is away
    await asyncio.sleep(1.5)
    assert await scalar(records, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 1
    assert await projected(scheduling, patient_id) == 0
    server.start()  # same port, same store
    await eventually(lambda: projected(scheduling, patient_id), timeout=30)
    await eventually(
        lambda: _is_zero(scalar(records, "SELECT count(*) FROM outbox WHERE published_at IS NULL")),
        timeout=10,
    )
    assert await projected(scheduling, patient_id) == 1
    assert await scalar(scheduling, "SELECT count(*) FROM inbox") == 1
    assert await stream_messages(server.url, "records") == 1


async def _consumer_ready(svc: Svc) -> bool:
    return all(c.ready.is_set() for c in svc.state.workers.consumers)


async def _is_zero(value: Any) -> bool:
    return (await value) == 0


async def test_relay_killed_after_publish_before_marking_sent_duplicate_is_suppressed(stack: Stack) -> None:
    records = await start_records(stack, run_workers=False)
    scheduling = await stack.start("scheduling")
    patient_id = await register(stack, records)

    async def crash(_row: Any) -> None:
        raise SimulatedCrash

    dying = OutboxRelay(
        engine=records.state.db.engine,
        platform=records.state.platform,
        js=records.state.nats.js,
        service="records",
        after_publish=crash,
    )
    with pytest.raises(SimulatedCrash):
        await dying.relay_once()
    assert await scalar(records, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 1
    assert dying.published_count == 1

    successor = OutboxRelay(
        engine=records.state.db.engine,
        platform=records.state.platform,
        js=records.state.nats.js,
        service="records",
    )
    assert await successor.relay_once() == 1  # republished ...
    assert successor.published_count == 0  # ... and JetStream reported it as a duplicate
    assert await scalar(records, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
    assert await stream_messages(stack.nats_url, "records") == 1
    await eventually(lambda: projected(scheduling, patient_id))
    await asyncio.sleep(0.5)
    assert await scalar(scheduling, "SELECT count(*) FROM inbox") == 1


async def test_consumer_killed_before_ack_is_redelivered_with_one_effect(stack: Stack) -> None:
    records = await start_records(stack)
    scheduling = await stack.start("scheduling", run_workers=False)
    processor: EventProcessor = scheduling.state.event_processor
    outcomes: list[str] = []

    async def die_before_ack(_msg: Any) -> None:
        raise SimulatedCrash

    def make(hook: Any) -> EventConsumer:
        return EventConsumer(
            service="scheduling",
            producer="records",
            processor=processor,
            js=scheduling.state.nats.js,
            max_deliver=4,
            backoff=[1.0, 1.0, 1.0],
            ack_wait=1.0,
            after_commit_hook=hook,
            on_consumed=lambda _t, o: outcomes.append(o),
        )

    first = asyncio.create_task(make(die_before_ack).run())
    patient_id = await register(stack, records)
    with pytest.raises(SimulatedCrash):
        await asyncio.wait_for(first, timeout=20)
    assert await projected(scheduling, patient_id) == 1  # the handler's transaction committed

    second = asyncio.create_task(make(None).run())
    try:
        await eventually(lambda: _has(outcomes, "duplicate"), timeout=20)
    finally:
        second.cancel()
    assert await projected(scheduling, patient_id) == 1
    assert await scalar(scheduling, "SELECT count(*) FROM inbox") == 1


async def _has(items: list[str], value: str) -> bool:
    return value in items


async def test_failing_handler_is_parked_after_n_tries_listed_and_replayable(stack: Stack) -> None:
    records = await start_records(stack)
    scheduling = await stack.start("scheduling", run_workers=False)
    attempts: list[int] = []

    async def broken(ctx: HandlerContext) -> None:
        attempts.append(1)
        raise RuntimeError("projection table is locked by a bug")

    failing = EventProcessor(
        sessionmaker=scheduling.state.db.sessionmaker,
        platform=scheduling.state.platform,
        handlers={type_of(PatientRegistered): broken},
        clock=scheduling.state.clock,
    )
    consumer = EventConsumer(
        service="scheduling",
        producer="records",
        processor=failing,
        js=scheduling.state.nats.js,
        max_deliver=3,
        backoff=[0.2, 0.2],
        ack_wait=1.0,
    )
    task = asyncio.create_task(consumer.run())
    patient_id = await register(stack, records)
    try:
        await eventually(lambda: scalar(scheduling, "SELECT count(*) FROM dead_letters"), timeout=30)
    finally:
        task.cancel()
    assert len(attempts) == 3
    assert await projected(scheduling, patient_id) == 0
    assert await scalar(scheduling, "SELECT count(*) FROM inbox") == 0  # nothing half-applied

    admin = auth(stack.token("admin"))
    listed = await scheduling.client.get("/v1/admin/dead-letters", headers=admin)
    assert listed.status_code == 200
    [parked] = listed.json()["items"]
    assert (parked["type"], parked["attempts"], parked["status"]) == (
        "clinic.records.patient.registered",
        3,
        "parked",
    )
    assert "projection table is locked" in parked["error"]

    forbidden = await scheduling.client.get(
        "/v1/admin/dead-letters", headers=auth(stack.token("registrar", org=str(ORG)))
    )
    assert forbidden.status_code == 403

    replay = await scheduling.client.post(f"/v1/admin/dead-letters/{parked['id']}/replay", headers=admin)
    assert replay.status_code == 200, replay.text
    assert replay.json()["applied"] is True
    assert await projected(scheduling, patient_id) == 1  # the service's real handler applied it
    again = await scheduling.client.post(f"/v1/admin/dead-letters/{parked['id']}/replay", headers=admin)
    assert (again.status_code, again.json()["code"]) == (409, "dead_letter_not_replayable")


async def test_two_relays_racing_one_publishes_and_order_is_kept(stack: Stack) -> None:
    records = await start_records(stack, run_workers=False)
    outbox = Outbox(records.state.platform, source="records")
    aggregates = [uuid.uuid4() for _ in range(5)]
    expected: list[tuple[str, int]] = []
    for round_ in range(6):
        async with records.state.db.sessionmaker() as session, session.begin():
            for agg in aggregates:
                env = await outbox.add(
                    session,
                    type=type_of(PatientRegistered),
                    aggregate_id=agg,
                    now=records.state.clock.now(),
                    data=PatientRegistered(
                        patient_id=agg,
                        organization_id=ORG,
                        last_name=f"R{round_}",
                        first_name="X",
                        birth_date=date(1980, 1, 1),
                        phone="+70000000000",
                        address_text="x",
                    ),
                )
                expected.append((str(agg), env.sequence))

    def relay() -> OutboxRelay:
        return OutboxRelay(
            engine=records.state.db.engine,
            platform=records.state.platform,
            js=records.state.nats.js,
            service="records",
            batch_size=7,
            poll_interval=0.2,
        )

    await ensure_stream(await records.state.nats.js(), "records")
    a, b = relay(), relay()
    tasks = [asyncio.create_task(a.run()), asyncio.create_task(b.run())]
    try:
        await eventually(
            lambda: _is_zero(scalar(records, "SELECT count(*) FROM outbox WHERE published_at IS NULL")),
            timeout=30,
        )
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert sorted([a.published_count, b.published_count]) == [0, len(expected)]  # one leader published all

    nc = await nats.connect(stack.nats_url)
    try:
        js = nc.jetstream()
        sub = await js.pull_subscribe("clinic.records.>", durable=None, stream="RECORDS")
        received: list[tuple[str, int]] = []
        while len(received) < len(expected):
            for msg in await sub.fetch(50, timeout=5):
                import json

                env = json.loads(msg.data)
                received.append((env["subject"], env["sequence"]))
                await msg.ack()
    finally:
        await nc.close()
    assert received == expected  # commit order, so every aggregate's sequence increases
    async with records.state.db.engine.connect() as conn:
        positions = (await conn.execute(select(records.state.platform.outbox.c.sequence))).all()
    assert len(positions) == len(expected)
