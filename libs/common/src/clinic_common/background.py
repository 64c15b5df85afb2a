"""Background work of a service process: periodic sweeps, started with the app and stopped reliably.

Clock-driven rules (no-shows after the cutoff, payment terms, reminders, escalations) run as a
`Periodic` declared on the `ServiceSpec`: `tick(app)` every `interval` seconds, one transaction per
tick owned by the tick, failures logged and retried on the next round. Ticks read `now` from the
app's injectable clock, so tests call them directly with the clock they set.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from clinic_common.settings import ServiceSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    """A sweep run every `interval` seconds (a number, or read from the service's settings)."""

    name: str
    interval: float | Callable[[ServiceSettings], float]
    tick: Callable[[FastAPI], Awaitable[Any]]

    def seconds(self, settings: ServiceSettings) -> float:
        return self.interval(settings) if callable(self.interval) else float(self.interval)

    async def run(self, app: FastAPI) -> None:
        interval = self.seconds(app.state.settings)
        while True:
            try:
                await self.tick(app)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database away, a bug in one round: the next round tries again
                log.warning("periodic %s failed: %s", self.name, exc, exc_info=True)
            await asyncio.sleep(interval)


async def stop_tasks(tasks: Iterable[asyncio.Task[Any]], *, grace: float = 10.0) -> None:
    """Cancel the tasks and wait for them, cancelling again while one still runs.

    On Python 3.11 `asyncio.wait_for` (used inside nats-py's fetch) swallows a cancellation that
    arrives together with its result, so one `cancel()` may leave a loop running forever and a
    shutdown that awaits it hanging. After `grace` seconds the rest is abandoned, with an error.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    pending = {t for t in tasks if not t.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.5)
        if pending and loop.time() > deadline:
            log.error(
                "tasks still running after %.0f s of shutdown: %s", grace, [t.get_name() for t in pending]
            )
            return
