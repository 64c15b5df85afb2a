"""Fault-test bench: databases, a NATS server of its own and helpers to drive real processes.

Producers are real records processes (`POST /v1/patients` emits `patient.registered`); consumers
are the real scheduling service and the append-only effects consumer (`effects_service`), whose
table would show an event applied twice. `Figures` collects what each test measured (events
sent, effects counted, duplicates dropped by JetStream and by the inbox) for the run's summary.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx
import nats
from sqlalchemy import text

from clinic_common.clock import SystemClock
from clinic_common.db import Database
from clinic_common.events.consumer import EventProcessor
from clinic_testkit.effects_service import prepare_database
from clinic_testkit.processes import ServiceProcess, ServiceProcesses
from clinic_testkit.stack import TEST_SETTINGS, envelope_for, organization_event

ORG = uuid.UUID("0b000000-0000-4000-8000-0000000000fa")
# The longest a failing event takes to be parked under the test settings: every back-off step
# plus an ack wait per attempt. The database outage test outlasts it.
BACKOFF_SCHEDULE_SECONDS = sum(TEST_SETTINGS["consumer_backoff_seconds"]) + (
    TEST_SETTINGS["consumer_max_deliver"] * TEST_SETTINGS["consumer_ack_wait_seconds"]
)

FIGURES: list[dict[str, Any]] = []  # every test's figures, printed at the end of the run


@dataclass
class Figures:
    test: str
    sent: int = 0  # outbox rows written (events)
    in_stream: int = 0  # messages JetStream stored
    effects: int = 0  # rows the append-only consumer appended
    distinct_effects: int = 0
    scheduling_inbox: int = 0
    jetstream_duplicates: int = 0  # PubAck duplicate: republished rows JetStream dropped
    inbox_duplicates: int = 0  # redelivered events the inbox dropped
    redelivered: int = 0  # JetStream redeliveries to the consumers
    parked: int = 0
    notes: list[str] = field(default_factory=list)

    def record(self) -> None:
        row = asdict(self)
        FIGURES.append(row)
        print(f"\nfault figures: {row}")


def patient_body(n: int) -> dict[str, Any]:
    return {
        "organization_id": str(ORG),
        "last_name": f"Сидоров{n}",
        "first_name": "Иван",
        "birth_date": "1979-05-04",
        "identity_document": {"kind": "passport", "number": f"4512 {n:06d}"},
        "address": {"text": "Москва, ул. Тверская 7"},
        "phone": "+7 916 000 00 01",
        "personal_data_consent": True,
    }


async def scalar(url: str, sql: str, **params: Any) -> Any:
    db = Database(url, pool_size=1)
    try:
        async with db.engine.connect() as conn:
            return await conn.scalar(text(sql), params)
    finally:
        await db.dispose()


async def rows(url: str, sql: str, **params: Any) -> list[Any]:
    db = Database(url, pool_size=1)
    try:
        async with db.engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())
    finally:
        await db.dispose()


class FaultBed:
    """Databases, a NATS server of its own and helpers for one fault test."""

    def __init__(
        self, processes: ServiceProcesses, database_factory: Any, nats_factory: Any, token_factory: Any
    ) -> None:
        self.processes = processes
        self.database_factory = database_factory
        self.nats = nats_factory()
        self.token = token_factory("registrar", org=str(ORG))
        self.records_db = database_factory("records")

    async def setup(self) -> None:
        """Records learns the organization through its real handler, as from scheduling's event."""
        from records.db import platform
        from records.organization.handlers import HANDLERS

        db = Database(self.records_db, pool_size=1)
        try:
            processor = EventProcessor(
                sessionmaker=db.sessionmaker, platform=platform, handlers=HANDLERS, clock=SystemClock()
            )
            await processor.process(envelope_for(organization_event(ORG, "RU"), aggregate_id=ORG))
        finally:
            await db.dispose()

    async def effects_database(self, server: Any = None) -> str:
        """An empty database (on `server`, else the run's) with the effects consumer's tables."""
        if server is None:
            url: str = self.database_factory.empty_database()
        else:
            name = f"effects_{uuid.uuid4().hex[:8]}"
            server.create_database(name)
            url = server.url(name)
        await prepare_database(url)
        return url

    def records(self, label: str = "records", **settings: Any) -> ServiceProcess:
        return self.processes.service(
            "records", database_url=self.records_db, nats_url=self.nats.url, label=label, **settings
        )

    def scheduling(self, database_url: str, **settings: Any) -> ServiceProcess:
        return self.processes.service(
            "scheduling", database_url=database_url, nats_url=self.nats.url, **settings
        )

    def effects(self, database_url: str, **settings: Any) -> ServiceProcess:
        return self.processes.effects(database_url=database_url, nats_url=self.nats.url, **settings)

    async def register(self, targets: Sequence[ServiceProcess], n: int) -> str:
        """Register patient `n` with an Idempotency-Key, retrying on another replica if one dies."""
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": f"fault-{n}-{uuid.uuid4()}"}
        async with httpx.AsyncClient(timeout=10.0) as client:
            for attempt in range(200):
                target = targets[(n + attempt) % len(targets)]
                if not target.is_alive():
                    continue
                try:
                    r = await client.post(f"{target.url}/v1/patients", json=patient_body(n), headers=headers)
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
                    continue
                if r.status_code == 201:
                    return str(r.json()["id"])
                if r.status_code in (409, 503):  # the dead replica's lease still runs / a hiccup
                    await asyncio.sleep(0.2)
                    continue
                raise AssertionError(f"registration {n} answered {r.status_code}: {r.text}")
        raise AssertionError(f"registration {n} never succeeded")

    async def burst(
        self, targets: Sequence[ServiceProcess], numbers: range, concurrency: int = 4
    ) -> list[str]:
        queue = list(numbers)
        done: list[str] = []

        async def worker() -> None:
            while queue:
                done.append(await self.register(targets, queue.pop(0)))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done

    async def outbox(self) -> list[Any]:
        return await rows(
            self.records_db,
            "SELECT id, aggregate_id, sequence, position, published_at FROM outbox ORDER BY position",
        )

    async def unsent(self) -> int:
        return int(await scalar(self.records_db, "SELECT count(*) FROM outbox WHERE published_at IS NULL"))

    async def sent_count(self) -> int:
        sql = "SELECT count(*) FROM outbox WHERE published_at IS NOT NULL"
        return int(await scalar(self.records_db, sql))

    async def js_call(self, fn: Any) -> Any:
        nc = await nats.connect(self.nats.url, connect_timeout=2, max_reconnect_attempts=0)
        try:
            return await fn(nc.jetstream())
        finally:
            await nc.close()

    async def in_stream(self) -> int:
        with contextlib.suppress(Exception):
            info = await self.js_call(lambda js: js.stream_info("RECORDS"))
            return int(info.state.messages)
        return 0

    async def consumer(self, durable: str) -> Any:
        return await self.js_call(lambda js: js.consumer_info("RECORDS", durable))

    async def settled(self, *durables: str) -> bool:
        """Every message of the stream delivered to and acknowledged by each durable."""
        for durable in durables:
            info = await self.consumer(durable)
            if info.num_pending or info.num_ack_pending:
                return False
        return True


async def effect_rows(url: str) -> list[Any]:
    return await rows(
        url, "SELECT serial, event_id, aggregate_id, sequence, pid FROM effects ORDER BY serial"
    )


async def inbox_ids(url: str) -> set[uuid.UUID]:
    return {r.event_id for r in await rows(url, "SELECT event_id FROM inbox")}


async def duplicates_dropped(*consumers: ServiceProcess) -> int:
    total = 0.0
    for proc in consumers:
        if proc.is_alive():
            total += await proc.metric_sum("events_consumed_total", outcome="duplicate")
    return int(total)


async def redeliveries(*consumers: ServiceProcess) -> int:
    """Messages JetStream delivered again, as the consumer processes still alive counted them."""
    total = 0.0
    for proc in consumers:
        if proc.is_alive():
            total += await proc.metric_sum("events_redelivered_total")
    return int(total)


async def publish_duplicates(*producers: ServiceProcess) -> int:
    total = 0.0
    for proc in producers:
        if proc.is_alive():
            total += await proc.metric_sum("events_publish_duplicates_total")
    return int(total)


def assert_once_in_order(effects: list[Any], outbox: list[Any]) -> None:
    """Every outbox event appended exactly once, each aggregate's events in `sequence` order."""
    ids = [e.event_id for e in effects]
    assert len(ids) == len(set(ids)), f"{len(ids) - len(set(ids))} events applied twice"
    assert set(ids) == {o.id for o in outbox}
    per_aggregate: dict[str, list[int]] = {}
    for e in effects:
        per_aggregate.setdefault(e.aggregate_id, []).append(e.sequence)
    for aggregate, sequences in per_aggregate.items():
        assert sequences == list(range(1, len(sequences) + 1)), (aggregate, sequences)
