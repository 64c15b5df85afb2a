"""The clock-driven sweep of HV-10: escalate reports not acknowledged by their deadline.

Runs in every replica; `escalate_overdue` claims rows with SKIP LOCKED, so replicas share the
work. The interval is wall-clock; the deadline is business time (the injectable clock)."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clinic_common.background import Periodic
from clinic_common.clock import Clock
from clinic_common.events.outbox import Outbox

from home_visits.deterioration.service import SWEEP_BATCH, escalate_overdue

log = logging.getLogger(__name__)


async def escalate_all(sessionmaker: async_sessionmaker[AsyncSession], outbox: Outbox, clock: Clock) -> int:
    """Escalate every overdue report now, a batch per transaction; returns how many."""
    total = 0
    while True:
        async with sessionmaker() as session, session.begin():
            escalated = await escalate_overdue(session, outbox, clock.now())
        total += escalated
        if escalated < SWEEP_BATCH:
            return total


async def tick(app: FastAPI) -> int:
    escalated = await escalate_all(app.state.db.sessionmaker, app.state.outbox, app.state.clock)
    if escalated:
        log.info("escalated %d deterioration report(s) to the call centre (HV-10)", escalated)
    return escalated


SWEEP = Periodic(
    "deterioration-sweep",
    lambda settings: settings.deterioration_sweep_seconds,  # type: ignore[attr-defined]
    tick,
)
