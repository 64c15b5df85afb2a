"""The periodic sweep on the injectable clock: debts past their term (BIL-4, BIL-10) and
programs past their period (BIL-12). Runs in every process; rows are taken with SKIP LOCKED, so
replicas share the work and never do one twice."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from clinic_common.background import Periodic
from clinic_common.clock import Clock

from billing.debt import service as debts
from billing.program import service as programs


async def run_once(sessionmaker: Any, clock: Clock) -> int:
    async with sessionmaker() as session, session.begin():
        now = clock.now()
        opened = await debts.sweep(session, now)
        await programs.end_due(session, now)
    return opened


async def tick(app: FastAPI) -> int:
    return await run_once(app.state.db.sessionmaker, app.state.clock)


SWEEP = Periodic("sweep", lambda settings: settings.sweep_interval_seconds, tick)  # type: ignore[attr-defined]
