"""The clock-driven sweep of HV-10: escalate reports not acknowledged by their deadline.

Runs in every replica; `escalate_overdue` claims rows with SKIP LOCKED, so replicas share the
work. The interval is wall-clock; the deadline is business time (the injectable clock)."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clinic_common.clock import Clock
from clinic_common.events.outbox import Outbox

from home_visits.deterioration.service import SWEEP_BATCH, escalate_overdue

log = logging.getLogger(__name__)


class DeteriorationSweep:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], outbox: Outbox, clock: Clock, interval: float
    ) -> None:
        self.sessionmaker = sessionmaker
        self.outbox = outbox
        self.clock = clock
        self.interval = interval

    async def run_once(self) -> int:
        """Escalate every overdue report now; returns how many."""
        total = 0
        while True:
            async with self.sessionmaker() as session, session.begin():
                escalated = await escalate_overdue(session, self.outbox, self.clock.now())
            total += escalated
            if escalated < SWEEP_BATCH:
                return total

    async def run(self) -> None:
        while True:
            try:
                escalated = await self.run_once()
                if escalated:
                    log.info("escalated %d deterioration report(s) to the call centre (HV-10)", escalated)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database may be away; try again next round
                log.warning("deterioration sweep failed: %s", exc)
            await asyncio.sleep(self.interval)
