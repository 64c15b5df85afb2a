"""A consumer SIGKILLed in the middle of a batch: the rest comes back, each event takes effect once."""

from __future__ import annotations

import pytest

from clinic_testkit.faultbed import (
    FaultBed,
    Figures,
    assert_once_in_order,
    duplicates_dropped,
    effect_rows,
    publish_duplicates,
    redeliveries,
)
from clinic_testkit.stack import eventually

pytestmark = pytest.mark.e2e

EVENTS = 60
BATCH = 20


async def test_consumer_sigkilled_mid_batch_each_event_takes_effect_once(bed: FaultBed) -> None:
    effects_db = await bed.effects_database()
    records = bed.records()
    await bed.processes.start(records)
    await bed.burst([records], range(EVENTS))
    await eventually(lambda: _in_stream(bed, EVENTS))

    # 50 ms per event and 20 per fetch: a batch takes a second, so the kill lands inside one.
    effects = bed.effects(effects_db, handler_delay_seconds=0.05)
    await bed.processes.start(effects)
    await eventually(lambda: _applied_at_least(effects_db, 5), interval=0.02)
    effects.kill()
    applied_at_kill = len(await effect_rows(effects_db))
    info = await bed.consumer("effects")
    assert 0 < applied_at_kill < EVENTS
    assert info.num_ack_pending > 0  # delivered to the dead process, not acknowledged: mid-batch

    restarted = bed.effects(effects_db, label="effects-restarted")
    await bed.processes.start(restarted)
    await eventually(lambda: _applied_at_least(effects_db, EVENTS), timeout=60)
    await eventually(lambda: bed.settled("effects"), timeout=30)
    applied = await effect_rows(effects_db)
    outbox = await bed.outbox()
    assert_once_in_order(applied, outbox)
    assert len({e.pid for e in applied}) == 2  # both processes applied part of the stream

    figures = Figures("consumer SIGKILLed mid-batch (20 per fetch, 50 ms per event)")
    figures.sent, figures.in_stream = len(outbox), await bed.in_stream()
    figures.effects, figures.distinct_effects = len(applied), len({e.event_id for e in applied})
    figures.jetstream_duplicates = await publish_duplicates(records)
    figures.inbox_duplicates = await duplicates_dropped(restarted)
    figures.redelivered = await redeliveries(restarted)
    figures.notes.append(
        f"killed after {applied_at_kill} effects, {info.num_ack_pending} delivered but unacknowledged"
    )
    figures.record()
    assert figures.redelivered >= info.num_ack_pending - 1  # the rest of the batch came back


async def _in_stream(bed: FaultBed, n: int) -> bool:
    return await bed.in_stream() >= n


async def _applied_at_least(url: str, n: int) -> bool:
    return len(await effect_rows(url)) >= n
