"""The periodic sweep on the injectable clock: debts past their term (BIL-4, BIL-10) and
programs past their period (BIL-12). Runs in every process; rows are taken with SKIP LOCKED, so
replicas share the work and never do one twice."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import FastAPI

from clinic_common.clock import Clock

from billing.debt import service as debts
from billing.program import service as programs

log = logging.getLogger(__name__)


async def run_once(sessionmaker: Any, clock: Clock) -> int:
    async with sessionmaker() as session, session.begin():
        now = clock.now()
        opened = await debts.sweep(session, now)
        await programs.end_due(session, now)
    return opened


async def run(app: FastAPI, interval: float) -> None:
    while True:
        try:
            await run_once(app.state.db.sessionmaker, app.state.clock)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # database away: try again next round
            log.warning("billing sweep failed: %s", exc)
        await asyncio.sleep(interval)


def with_sweep(
    app: FastAPI, interval: float, enabled: bool, on_close: Callable[[], Awaitable[None]] | None = None
) -> None:
    """Wrap the app's lifespan so the sweep runs beside the foundation's workers (and the fiscal
    registers' HTTP clients close with it)."""
    inner: Callable[[FastAPI], Any] = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        try:
            async with inner(a):
                task = asyncio.create_task(run(a, interval), name="billing-sweep") if enabled else None
                try:
                    yield
                finally:
                    if task is not None:
                        task.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await task
        finally:  # after the delivery worker has stopped
            if on_close is not None:
                await on_close()

    app.router.lifespan_context = lifespan
