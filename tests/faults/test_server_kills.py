"""Servers under real kills: nats-server SIGKILLed during a burst, the consumers' PostgreSQL stopped
with an immediate shutdown for longer than the whole back-off schedule."""

from __future__ import annotations

from typing import Any

import pytest

from clinic_testkit.databases import TemplateCache
from clinic_testkit.faultbed import (
    BACKOFF_SCHEDULE_SECONDS,
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


async def test_nats_sigkilled_during_a_burst_and_restarted_nothing_lost_nothing_doubled(
    bed: FaultBed,
) -> None:
    scheduling_db = bed.database_factory("scheduling")
    effects_db = await bed.effects_database()
    records, scheduling, effects = bed.records(), bed.scheduling(scheduling_db), bed.effects(effects_db)
    await bed.processes.start(records, scheduling, effects)
    burst = range(80)
    first = await bed.burst([records], burst[:30])
    await eventually(lambda: _in_stream(bed, 10))
    bed.nats.kill()
    await eventually(lambda: _nats_down(records))
    during = await bed.burst([records], burst[30:60])  # the API keeps answering: the outbox holds them
    ready = await records.get("/readyz")
    assert ready["checks"] == {"database": True}
    unsent_while_down = await bed.unsent()
    assert unsent_while_down >= len(during)
    bed.nats.start()  # same port, same JetStream store
    after = await bed.burst([records], burst[60:])
    assert len(first) + len(during) + len(after) == len(burst)

    await eventually(lambda: _delivered(bed, effects_db, scheduling_db), timeout=60)
    await eventually(lambda: bed.settled("effects", "scheduling"), timeout=30)
    outbox = await bed.outbox()
    applied = await effect_rows(effects_db)
    assert_once_in_order(applied, outbox)
    assert await inbox_ids(scheduling_db) == {o.id for o in outbox}
    assert await bed.in_stream() == len(outbox)

    figures = Figures("nats-server SIGKILLed during a burst, restarted")
    figures.sent, figures.in_stream = len(outbox), await bed.in_stream()
    figures.effects, figures.distinct_effects = len(applied), len({e.event_id for e in applied})
    figures.scheduling_inbox = len(await inbox_ids(scheduling_db))
    figures.jetstream_duplicates = await publish_duplicates(records)
    figures.inbox_duplicates = await duplicates_dropped(scheduling, effects)
    figures.redelivered = await redeliveries(scheduling, effects)
    figures.notes.append(f"{unsent_while_down} events waited in the outbox while NATS was down")
    figures.record()


async def test_consumers_postgres_stopped_immediately_past_the_backoff_schedule_nothing_lost_or_parked(
    bed: FaultBed, pg_factory: Any
) -> None:
    pg = pg_factory()  # the consumers' server; records keeps the run's
    pg.create_database(
        "scheduling", template=TemplateCache(pg, bed.processes.root).migrated_template("scheduling")
    )
    scheduling_db = pg.url("scheduling")
    effects_db = await bed.effects_database(pg)
    records, scheduling, effects = bed.records(), bed.scheduling(scheduling_db), bed.effects(effects_db)
    await bed.processes.start(records, scheduling, effects)
    await bed.burst([records], range(10))
    await eventually(lambda: _delivered(bed, effects_db, scheduling_db), timeout=30)

    pg.stop_immediately()  # pg_ctl -m immediate: SIGQUIT, no shutdown checkpoint
    await bed.burst([records], range(10, 40))
    await eventually(lambda: _in_stream(bed, 40))
    # Both consumers hold an event and probe their database; wait (by polling what they report)
    # until the outage has lasted one and a half times the whole back-off schedule.
    await eventually(lambda: _waited([scheduling, effects], 1.5 * BACKOFF_SCHEDULE_SECONDS), timeout=60)
    waited = min([(await p.health())["database_wait"]["seconds"] for p in (scheduling, effects)])
    pg.start()  # crash recovery, same port and data

    await eventually(lambda: _delivered(bed, effects_db, scheduling_db), timeout=60)
    await eventually(lambda: bed.settled("effects", "scheduling"), timeout=30)
    outbox = await bed.outbox()
    applied = await effect_rows(effects_db)
    assert_once_in_order(applied, outbox)
    assert await inbox_ids(scheduling_db) == {o.id for o in outbox}
    parked = 0
    for url in (scheduling_db, effects_db):
        parked += int(await scalar(url, "SELECT count(*) FROM dead_letters"))
        assert await scalar(url, "SELECT count(*) FROM event_failures") == 0  # no attempt was used up
    assert parked == 0

    figures = Figures("consumers' PostgreSQL stopped -m immediate, then restarted")
    figures.sent, figures.in_stream = len(outbox), await bed.in_stream()
    figures.effects, figures.distinct_effects = len(applied), len({e.event_id for e in applied})
    figures.scheduling_inbox = len(await inbox_ids(scheduling_db))
    figures.jetstream_duplicates = await publish_duplicates(records)
    figures.inbox_duplicates = await duplicates_dropped(scheduling, effects)
    figures.redelivered = await redeliveries(scheduling, effects)
    figures.parked = parked
    figures.notes.append(f"database away {waited:.1f} s, back-off schedule {BACKOFF_SCHEDULE_SECONDS:.1f} s")
    figures.record()


async def _in_stream(bed: FaultBed, n: int) -> bool:
    return await bed.in_stream() >= n


async def _nats_down(proc: ServiceProcess) -> bool:
    return not (await proc.health())["nats"]["connected"]


async def _delivered(bed: FaultBed, effects_db: str, scheduling_db: str) -> bool:
    sent = len(await bed.outbox())
    return (
        await bed.unsent() == 0
        and len(await effect_rows(effects_db)) >= sent
        and len(await inbox_ids(scheduling_db)) >= sent
    )


async def _waited(procs: list[ServiceProcess], seconds: float) -> bool:
    for proc in procs:
        wait = (await proc.health())["database_wait"]
        if not wait["waiting"] or wait["seconds"] < seconds:
            return False
    return True
