"""The event backbone end to end: outbox -> relay -> JetStream -> consumer -> inbox.

Records registers a patient (REC-1) and writes `patient.registered` through its outbox; scheduling
consumes it into its patient projection. Real PostgreSQL and a real NATS JetStream throughout; the
services run in-process here. Faults with real process kills are in tests/faults/.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import date
from typing import Any

import httpx
import nats
import pytest
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError
from sqlalchemy import text

from clinic_common.background import stop_tasks
from clinic_common.events.catalog import type_of
from clinic_common.events.consumer import EventConsumer, EventProcessor, HandlerContext
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.records import PatientRegistered, PatientUpdated
from clinic_common.events.relay import OutboxRelay
from clinic_common.events.streams import ensure_stream, stream_name
from clinic_testkit.stack import Stack, Svc, auth, eventually, organization_event, teach

pytestmark = pytest.mark.e2e

ORG = uuid.UUID("0b000000-0000-4000-8000-0000000000cc")


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


async def unsent(svc: Svc) -> int:
    return int(await scalar(svc, "SELECT count(*) FROM outbox WHERE published_at IS NULL"))


async def stream_messages(nats_url: str, producer: str) -> int:
    nc = await nats.connect(nats_url)
    try:
        info = await nc.jetstream().stream_info(stream_name(producer))
        return int(info.state.messages)
    finally:
        await nc.close()


async def stream_envelopes(nats_url: str, producer: str, count: int) -> list[dict[str, Any]]:
    """The first `count` messages of the producer's stream, in stream order."""
    nc = await nats.connect(nats_url)
    try:
        sub = await nc.jetstream().pull_subscribe(
            f"clinic.{producer}.>", durable=None, stream=stream_name(producer)
        )
        received: list[dict[str, Any]] = []
        while len(received) < count:
            for msg in await sub.fetch(min(50, count - len(received)), timeout=5):
                received.append(json.loads(msg.data))
                await msg.ack()
        return received
    finally:
        await nc.close()


def patient_event(agg: uuid.UUID, label: str, *, address: str = "x") -> PatientRegistered:
    return PatientRegistered(
        patient_id=agg,
        organization_id=ORG,
        last_name=label,
        first_name="X",
        birth_date=date(1980, 1, 1),
        phone="+70000000000",
        address_text=address,
    )


async def write_events(svc: Svc, events: list[tuple[uuid.UUID, Any]]) -> list[tuple[str, int]]:
    """Add events to the service's outbox, one transaction each; returns (aggregate, sequence)."""
    outbox = Outbox(svc.state.platform, source=svc.state.service_name)
    written = []
    for agg, payload in events:
        async with svc.state.db.sessionmaker() as session, session.begin():
            env = await outbox.add(
                session,
                type=type_of(type(payload)),
                aggregate_id=agg,
                now=svc.state.clock.now(),
                data=payload,
            )
        written.append((str(agg), env.sequence))
    return written


async def health(svc: Svc) -> dict[str, Any]:
    r = await svc.client.get("/healthz")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


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
    assert await unsent(records) == 0
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


async def test_nats_down_the_api_stays_ready_and_the_outbox_delivers_after_return_once(
    stack: Stack, nats_factory: Any
) -> None:
    server = nats_factory()
    records = await start_records(stack, nats_url=server.url)
    scheduling = await stack.start("scheduling", nats_url=server.url)
    await eventually(lambda: _consumer_ready(scheduling))
    server.stop()
    await eventually(lambda: _nats_down(records))
    patient_id = await register(stack, records)  # commits while NATS is away

    ready = await records.client.get("/readyz")  # the outbox holds the event: stay in rotation
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": True}
    detail = await health(records)
    assert (detail["status"], detail["nats"], detail["outbox"]["backlog"]) == (
        "degraded",
        {"connected": False},
        1,
    )
    await eventually(lambda: _relay_errors(records))
    metrics = (await records.client.get("/metrics")).text
    assert 'nats_connected{service="records"} 0.0' in metrics
    assert 'outbox_backlog{service="records"} 1.0' in metrics
    assert "outbox_lag_seconds" in metrics and "relay_errors_total" in metrics
    assert await projected(scheduling, patient_id) == 0

    server.start()  # same port, same store
    await eventually(lambda: projected(scheduling, patient_id), timeout=30)
    await eventually(lambda: _is_zero(unsent(records)), timeout=10)
    assert await projected(scheduling, patient_id) == 1
    assert await scalar(scheduling, "SELECT count(*) FROM inbox") == 1
    assert await stream_messages(server.url, "records") == 1
    assert (await health(records))["outbox"] == {"backlog": 0, "lag_seconds": 0.0}


async def _consumer_ready(svc: Svc, producer: str = "records") -> bool:
    return all(c.ready.is_set() for c in svc.state.workers.consumers if c.producer == producer)


async def _nats_down(svc: Svc) -> bool:
    return not (await health(svc))["nats"]["connected"]


async def _relay_errors(svc: Svc) -> bool:
    return bool((await health(svc))["relay"]["errors"])


async def _is_zero(value: Any) -> bool:
    return (await value) == 0


async def test_a_consumer_never_creates_the_producers_stream_it_waits_for_it(
    stack: Stack, nats_factory: Any
) -> None:
    server = nats_factory()
    scheduling = await stack.start("scheduling", nats_url=server.url)

    async def looked_for_records_stream() -> bool:
        # Each look-up of the missing stream is a JetStream API error; a few mean it keeps waiting.
        async with httpx.AsyncClient() as client:
            jsz = (await client.get(f"{server.monitor_url}/jsz")).json()
        return int(jsz["api"]["errors"]) >= 3

    await eventually(looked_for_records_stream)
    nc = await nats.connect(server.url)
    try:
        with pytest.raises(NotFoundError):
            await nc.jetstream().stream_info("RECORDS")
        assert (await nc.jetstream().stream_info("SCHEDULING")).config.name == "SCHEDULING"  # its own
    finally:
        await nc.close()
    assert not await _consumer_ready(scheduling)

    records = await start_records(stack, nats_url=server.url)  # the producer creates its stream
    await eventually(lambda: _consumer_ready(scheduling))
    patient_id = await register(stack, records)
    await eventually(lambda: projected(scheduling, patient_id))


async def test_a_3_second_handler_is_neither_redelivered_nor_parked(stack: Stack) -> None:
    records = await start_records(stack)
    scheduling = await stack.start("scheduling", run_workers=False)
    started: list[float] = []
    real = scheduling.state.event_processor.handlers[type_of(PatientRegistered)]

    async def slow(ctx: HandlerContext) -> None:
        started.append(time.monotonic())
        await asyncio.sleep(3.0)  # three times the ack wait of the test settings
        await real(ctx)

    processor = EventProcessor(
        sessionmaker=scheduling.state.db.sessionmaker,
        platform=scheduling.state.platform,
        handlers={type_of(PatientRegistered): slow},
        clock=scheduling.state.clock,
    )
    settings = scheduling.settings
    outcomes: list[str] = []
    redelivered: list[str] = []
    consumer = EventConsumer(
        service="scheduling",
        producer="records",
        processor=processor,
        js=scheduling.state.nats.js,
        max_deliver=settings.consumer_max_deliver,
        backoff=settings.consumer_backoff_seconds,
        ack_wait=settings.consumer_ack_wait_seconds,
        on_consumed=lambda _t, o: outcomes.append(o),
        on_redelivered=redelivered.append,
    )
    assert settings.consumer_ack_wait_seconds * 3 <= 3.0
    task = asyncio.create_task(consumer.run())
    try:
        patient_id = await register(stack, records)
        await eventually(lambda: projected(scheduling, patient_id), timeout=30)
        await eventually(lambda: _acked(stack.nats_url), timeout=10)
        info = await _consumer_info(stack.nats_url)
    finally:
        await stop_tasks([task])
    assert (info.num_redelivered, info.num_ack_pending, info.delivered.consumer_seq) == (0, 0, 1)
    assert (len(started), outcomes, redelivered) == (1, ["processed"], [])
    assert await scalar(scheduling, "SELECT count(*) FROM dead_letters") == 0
    assert await scalar(scheduling, "SELECT count(*) FROM event_failures") == 0


async def _consumer_info(nats_url: str) -> Any:
    nc = await nats.connect(nats_url)
    try:
        return await nc.jetstream().consumer_info("RECORDS", "scheduling")
    finally:
        await nc.close()


async def _acked(nats_url: str) -> bool:
    info = await _consumer_info(nats_url)
    return bool(info.ack_floor.consumer_seq >= 1)


async def test_failing_handler_is_parked_after_n_real_failures_listed_and_replayable(stack: Stack) -> None:
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
        await stop_tasks([task])
    assert len(attempts) == 3
    assert await projected(scheduling, patient_id) == 0
    assert await scalar(scheduling, "SELECT count(*) FROM inbox") == 0  # nothing half-applied
    assert await scalar(scheduling, "SELECT count(*) FROM event_failures") == 0  # parked with its count

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
    assert (await health(scheduling))["parked"]["dead_letters"] == 1
    assert (
        'parked_events{service="scheduling",table="dead_letters"} 1.0'
        in (await scheduling.client.get("/metrics")).text
    )

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


def relay_for(svc: Svc, **over: Any) -> OutboxRelay:
    values: dict[str, Any] = {
        "engine": svc.state.db.engine,
        "platform": svc.state.platform,
        "js": svc.state.nats.js,
        "service": "records",
        "max_payload": svc.state.nats.max_payload,
        **over,
    }
    return OutboxRelay(**values)


async def test_two_relays_racing_one_publishes_and_order_is_kept(stack: Stack) -> None:
    records = await start_records(stack, run_workers=False)
    aggregates = [uuid.uuid4() for _ in range(5)]
    expected = await write_events(
        records, [(agg, patient_event(agg, f"R{round_}")) for round_ in range(6) for agg in aggregates]
    )
    await ensure_stream(await records.state.nats.js(), "records")
    a, b = (
        relay_for(records, batch_size=7, poll_interval=0.2),
        relay_for(records, batch_size=7, poll_interval=0.2),
    )
    tasks = [asyncio.create_task(a.run()), asyncio.create_task(b.run())]
    try:
        await eventually(lambda: _is_zero(unsent(records)), timeout=30)
    finally:
        await stop_tasks(tasks)
    assert sorted([a.published_count, b.published_count]) == [0, len(expected)]  # one leader published all
    received = await stream_envelopes(stack.nats_url, "records", len(expected))
    assert [(e["subject"], e["sequence"]) for e in received] == expected  # commit order


async def test_killing_the_leaders_lock_connection_gives_one_relay_at_a_time_and_listen_again(
    stack: Stack,
) -> None:
    """pg_terminate_backend on the lock connection: the leader stops at once, one relay at a time.

    The relays poll only once a minute, so rows written after the takeover reach NATS within the
    test's deadline only if the new lock connection LISTENs again.
    """
    records = await start_records(stack, run_workers=False)
    await ensure_stream(await records.state.nats.js(), "records")
    relays = [relay_for(records, batch_size=5, poll_interval=60.0, lock_retry_interval=0.1) for _ in range(2)]
    both: list[tuple[bool, bool]] = []

    async def watch() -> None:  # both flags read in one step of the loop: a true snapshot
        while True:
            now = (relays[0].is_leader, relays[1].is_leader)
            if not both or both[-1] != now:
                both.append(now)
            await asyncio.sleep(0.001)

    tasks = [asyncio.create_task(r.run()) for r in relays] + [asyncio.create_task(watch())]
    aggregates = [uuid.uuid4() for _ in range(4)]
    try:
        await eventually(lambda: _any_leader(relays))
        expected = await write_events(records, [(agg, patient_event(agg, "a")) for agg in aggregates])
        await eventually(lambda: _is_zero(unsent(records)))
        for round_ in range(3):
            leader = next(r for r in relays if r.is_leader)
            killed = await scalar(
                records,
                "SELECT count(pg_terminate_backend(pid)) FROM pg_locks"
                " WHERE locktype = 'advisory' AND granted AND objid::bigint = :key",
                key=leader.lock_key,
            )
            assert killed == 1
            await eventually(lambda leader=leader: _not_leading(leader))
            expected += await write_events(
                records, [(agg, patient_event(agg, f"b{round_}")) for agg in aggregates]
            )
            await eventually(lambda: _is_zero(unsent(records)))
    finally:
        await stop_tasks(tasks)
    assert (True, True) not in both
    received = await stream_envelopes(stack.nats_url, "records", len(expected))
    assert [(e["subject"], e["sequence"]) for e in received] == expected
    assert await stream_messages(stack.nats_url, "records") == len(expected)
    assert sum(r.published_count for r in relays) == len(expected)


async def _any_leader(relays: list[OutboxRelay]) -> bool:
    return any(r.is_leader for r in relays)


async def _not_leading(relay: OutboxRelay) -> bool:
    return not relay.is_leader


async def test_an_unpublishable_row_is_parked_its_aggregate_held_and_replayed_in_order(stack: Stack) -> None:
    records = await start_records(stack, run_workers=False)
    js = await records.state.nats.js()
    limit = 4096  # the operator's stream limit, raised later; max_payload is the server's 1 MB
    await js.add_stream(
        StreamConfig(name="RECORDS", subjects=["clinic.records.>"], duplicate_window=120, max_msg_size=limit)
    )
    big, held, free = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    parked_types: list[str] = []

    def parked(event_type: str) -> None:
        parked_types.append(event_type)
        records.state.metrics.outbox_row_parked(event_type)

    relay = relay_for(records, poll_interval=0.2, on_parked=parked)
    written = await write_events(
        records,
        [
            (held, patient_event(held, "h1", address="y" * (2 * limit))),  # over the stream limit
            (free, patient_event(free, "f1")),
            (held, PatientUpdated(**patient_event(held, "h2").model_dump())),  # behind h1: held
            (big, patient_event(big, "b1", address="z" * 1_100_000)),  # over max_payload
            (free, PatientUpdated(**patient_event(free, "f2").model_dump())),
        ],
    )
    task = asyncio.create_task(relay.run())
    try:
        await eventually(lambda: _is_zero(unsent(records)))
        assert relay.is_leader  # carried on
        assert [
            (e["subject"], e["data"]["last_name"])
            for e in await stream_envelopes(stack.nats_url, "records", 2)
        ] == [
            (str(free), "f1"),
            (str(free), "f2"),
        ]
        assert len(parked_types) == 3

        admin = auth(stack.token("admin"))
        listed = await records.client.get("/v1/admin/outbox-dead-letters", headers=admin)
        assert listed.status_code == 200, listed.text
        items = listed.json()["items"]
        assert [(i["aggregate_id"], i["sequence"]) for i in items] == [
            (str(held), 1),
            (str(held), 2),
            (str(big), 1),
        ]
        assert "refused by the stream: message size exceeds maximum allowed" in items[0]["error"]
        assert "held behind" in items[1]["error"]
        assert "max_payload" in items[2]["error"]
        detail = await health(records)
        assert detail["parked"]["outbox_dead_letters"] == 3
        metrics = (await records.client.get("/metrics")).text
        assert (
            'outbox_parked_total{service="records",type="clinic.records.patient.registered"} 2.0' in metrics
        )

        forbidden = await records.client.get(
            "/v1/admin/outbox-dead-letters", headers=auth(stack.token("registrar", org=str(ORG)))
        )
        assert (forbidden.status_code, forbidden.json()["code"]) == (403, "forbidden_role")
        missing = await records.client.post(
            f"/v1/admin/outbox-dead-letters/{uuid.uuid4()}/replay", headers=admin
        )
        assert (missing.status_code, missing.headers["content-type"]) == (404, "application/problem+json")

        # A later event of the held aggregate waits behind the parked ones, too.
        written += await write_events(
            records, [(held, PatientUpdated(**patient_event(held, "h3").model_dump()))]
        )
        await eventually(lambda: _is_zero(unsent(records)))
        assert await stream_messages(stack.nats_url, "records") == 2

        await js.update_stream(
            StreamConfig(name="RECORDS", subjects=["clinic.records.>"], duplicate_window=120, max_msg_size=-1)
        )
        replay = await records.client.post(
            f"/v1/admin/outbox-dead-letters/{items[1]['id']}/replay", headers=admin
        )
        assert replay.status_code == 200, replay.text
        assert replay.json()["requeued"] == 3  # h1, h2 and h3, in sequence order
        again = await records.client.post(
            f"/v1/admin/outbox-dead-letters/{items[0]['id']}/replay", headers=admin
        )
        assert (again.status_code, again.json()["code"]) == (409, "outbox_dead_letter_not_replayable")
        await eventually(lambda: _stream_has(stack.nats_url, 5))
    finally:
        await stop_tasks([task])
    envelopes = await stream_envelopes(stack.nats_url, "records", 5)
    assert [(e["subject"], e["sequence"]) for e in envelopes if e["subject"] == str(held)] == [
        (str(held), 1),
        (str(held), 2),
        (str(held), 3),
    ]
    assert (
        await scalar(records, "SELECT count(*) FROM outbox_dead_letters WHERE status = 'parked'") == 1
    )  # big
    assert written[0] == (str(held), 1)


async def _stream_has(nats_url: str, count: int) -> bool:
    return await stream_messages(nats_url, "records") >= count
