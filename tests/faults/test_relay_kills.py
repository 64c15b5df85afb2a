"""The relay under real kills: two records replicas share one database; only one relays at a time.

Load: patients registered over HTTP on both replicas (each `patient.registered` its own aggregate)
and, meanwhile, a few patients whose `patient.updated` events pile up several per aggregate, so
the order of one aggregate's events is visible. The append-only effects consumer and the real
scheduling service consume them.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from datetime import date
from typing import Any

import pytest

from clinic_common.clock import SystemClock
from clinic_common.db import Database
from clinic_common.events.catalog import type_of
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.records import PatientUpdated
from clinic_common.events.relay import relay_lock_key
from clinic_testkit.faultbed import (
    ORG,
    FaultBed,
    Figures,
    assert_once_in_order,
    duplicates_dropped,
    effect_rows,
    inbox_ids,
    publish_duplicates,
    redeliveries,
    scalar,
)
from clinic_testkit.processes import ServiceProcess
from clinic_testkit.stack import eventually

pytestmark = pytest.mark.e2e

REGISTRATIONS = 60
UPDATED_AGGREGATES = 4
UPDATES_EACH = 30


async def write_updates(bed: FaultBed, aggregates: list[uuid.UUID], rows_per_commit: int = 20) -> None:
    """`patient.updated` rows interleaved across aggregates, committed `rows_per_commit` at a time,
    so the relay has full batches to publish (a kill then lands between publish and mark)."""
    from records.db import platform

    db = Database(bed.records_db, pool_size=1)
    outbox = Outbox(platform, source="records")
    pending = [(n, agg) for n in range(UPDATES_EACH) for agg in aggregates]
    try:
        while pending:
            chunk, pending = pending[:rows_per_commit], pending[rows_per_commit:]
            async with db.sessionmaker() as session, session.begin():
                for n, agg in chunk:
                    await outbox.add(
                        session,
                        type=type_of(PatientUpdated),
                        aggregate_id=agg,
                        now=SystemClock().now(),
                        data=PatientUpdated(
                            patient_id=agg,
                            organization_id=ORG,
                            last_name=f"U{n}",
                            first_name="X",
                            birth_date=date(1980, 1, 1),
                            phone="+70000000000",
                            address_text="x",
                        ),
                    )
            await asyncio.sleep(0.05)
    finally:
        await db.dispose()


async def freeze_with_rows_in_flight(
    bed: FaultBed, leader: ServiceProcess, deadline: float
) -> tuple[int, int]:
    """SIGSTOP the leader until it is caught with rows published but not marked sent (it stays
    stopped then); returns (messages in the stream, rows in flight)."""
    assert leader.proc is not None
    while time.monotonic() < deadline:
        os.killpg(leader.proc.pid, signal.SIGSTOP)
        in_stream = await bed.in_stream()
        in_flight = in_stream - await bed.sent_count()
        if in_flight > 0:
            return in_stream, in_flight
        os.killpg(leader.proc.pid, signal.SIGCONT)
        await asyncio.sleep(0.002)
    return await bed.in_stream(), 0


async def leader_of(replicas: list[ServiceProcess]) -> ServiceProcess | None:
    for proc in replicas:
        if proc.is_alive() and (await proc.health())["relay"]["leader"]:
            return proc
    return None


async def start_bench(bed: FaultBed) -> tuple[list[ServiceProcess], ServiceProcess, ServiceProcess, str, str]:
    scheduling_db = bed.database_factory("scheduling")
    effects_db = await bed.effects_database()
    replicas = [bed.records("records-a"), bed.records("records-b")]
    scheduling = bed.scheduling(scheduling_db)
    effects = bed.effects(effects_db)
    await bed.processes.start(*replicas, scheduling, effects)
    return replicas, scheduling, effects, scheduling_db, effects_db


async def finish(
    bed: FaultBed,
    figures: Figures,
    replicas: list[ServiceProcess],
    scheduling: ServiceProcess,
    effects: ServiceProcess,
    scheduling_db: str,
    effects_db: str,
) -> None:
    """Wait until everything is delivered and settled, then check each event took effect once."""

    async def delivered() -> bool:
        sent = len(await bed.outbox())
        return (
            await bed.unsent() == 0
            and len(await effect_rows(effects_db)) >= sent
            and len(await inbox_ids(scheduling_db)) >= sent
        )

    await eventually(delivered, timeout=60)
    await eventually(lambda: bed.settled("effects", "scheduling"), timeout=30)
    outbox = await bed.outbox()
    applied = await effect_rows(effects_db)
    assert_once_in_order(applied, outbox)
    assert await inbox_ids(scheduling_db) == {o.id for o in outbox}
    assert await bed.in_stream() == len(outbox)  # JetStream kept one copy of each
    assert await scalar(scheduling_db, "SELECT count(*) FROM dead_letters") == 0
    figures.sent, figures.in_stream = len(outbox), await bed.in_stream()
    figures.effects, figures.distinct_effects = len(applied), len({e.event_id for e in applied})
    figures.scheduling_inbox = len(await inbox_ids(scheduling_db))
    figures.jetstream_duplicates = await publish_duplicates(*replicas)
    figures.inbox_duplicates = await duplicates_dropped(scheduling, effects)
    figures.redelivered = await redeliveries(scheduling, effects)


async def test_relay_leader_sigkilled_the_other_replica_takes_over_each_event_once_in_order(
    bed: FaultBed,
) -> None:
    replicas, scheduling, effects, scheduling_db, effects_db = await start_bench(bed)
    figures = Figures("relay leader SIGKILLed mid-burst (2 records replicas)")
    aggregates = [uuid.uuid4() for _ in range(UPDATED_AGGREGATES)]
    writer = asyncio.create_task(write_updates(bed, aggregates))
    load = asyncio.create_task(bed.burst(replicas, range(REGISTRATIONS)))
    await eventually(lambda: _at_least(bed.in_stream(), 10))
    leader = await eventually(lambda: leader_of(replicas))
    # Kill while a batch is in flight if we catch one (published, not yet marked sent).
    # Freeze the leader (SIGSTOP) at a moment it has published rows it has not marked sent, count
    # them while nothing moves, and SIGKILL it there: only the survivor can mark those rows now,
    # after publishing each again.
    in_stream, stranded = await freeze_with_rows_in_flight(bed, leader, time.monotonic() + 20)
    leader.kill()
    figures.notes.append(
        f"killed {leader.label} with {in_stream} events in the stream, {stranded} of them"
        " published but never marked sent"
    )
    assert stranded > 0  # the crash fell between publish and mark
    survivor = next(p for p in replicas if p is not leader)
    await eventually(lambda: leader_of([survivor]))
    await asyncio.gather(load, writer)
    await finish(bed, figures, [survivor], scheduling, effects, scheduling_db, effects_db)
    figures.record()
    # Each stranded row was published again by the survivor and dropped by JetStream as a duplicate.
    assert figures.jetstream_duplicates >= stranded


async def test_leaders_lock_connection_terminated_one_relay_at_a_time_order_kept(bed: FaultBed) -> None:
    replicas, scheduling, effects, scheduling_db, effects_db = await start_bench(bed)
    figures = Figures("relay lock connection terminated (pg_terminate_backend), twice")
    aggregates = [uuid.uuid4() for _ in range(UPDATED_AGGREGATES)]
    writer = asyncio.create_task(write_updates(bed, aggregates))
    load = asyncio.create_task(bed.burst(replicas, range(REGISTRATIONS)))
    for threshold in (15, 40):
        await eventually(lambda threshold=threshold: _at_least(bed.in_stream(), threshold))
        leader = await eventually(lambda: leader_of(replicas))
        terminated = await scalar(
            bed.records_db,
            "SELECT count(pg_terminate_backend(pid)) FROM pg_locks"
            " WHERE locktype = 'advisory' AND granted AND objid::bigint = :key",
            key=relay_lock_key("records"),
        )
        assert terminated == 1  # the leader's lock connection
        await eventually(lambda leader=leader: _not_leading(leader))  # it stopped, and says so
        figures.notes.append(
            f"terminated the lock connection of {leader.label} at {await bed.in_stream()} events"
        )
    await asyncio.gather(load, writer)
    await eventually(lambda: leader_of(replicas))
    await finish(bed, figures, replicas, scheduling, effects, scheduling_db, effects_db)
    published = [int(await p.metric_sum("events_published_total")) for p in replicas]
    figures.notes.append(f"new messages published by each replica: {published}")
    figures.record()
    assert sum(published) == figures.sent  # no row reached the stream twice as a new message


async def _at_least(value: Any, n: int) -> bool:
    return bool(await value >= n)


async def _not_leading(proc: ServiceProcess) -> bool:
    return not (await proc.health())["relay"]["leader"]
