"""Telling an outage of the service's own PostgreSQL from a failing handler, and waiting it out.

A handler that fails because the database is away has not failed: the event is held and tried
again once the database answers, and the attempt is not counted towards parking it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)


class DatabaseGate:
    """Whether the service's own database answers; waits with back-off until it does."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        first_delay: float = 0.2,
        max_delay: float = 5.0,
        probe_timeout: float = 2.0,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.probe_timeout = probe_timeout
        self.down_since: datetime | None = None
        self._down_monotonic: float | None = None
        self.outages = 0

    @property
    def is_down(self) -> bool:
        return self.down_since is not None

    def down_for(self) -> float:
        """Seconds since the outage was noticed (0 while the database answers)."""
        return 0.0 if self._down_monotonic is None else time.monotonic() - self._down_monotonic

    async def probe(self) -> bool:
        try:
            async with self.sessionmaker() as session:
                await asyncio.wait_for(session.execute(text("SELECT 1")), self.probe_timeout)
            return True
        except asyncio.CancelledError:
            raise
        except Exception:
            return False

    async def is_outage(self) -> bool:
        """Called right after a failure: it was an outage if the database does not answer now.

        Deciding by the probe, not by the exception's type, keeps a handler that fails for its
        own reasons (even with a ConnectionRefusedError from some other server) counted: only
        our own database being away holds an event without using up an attempt.
        """
        if await self.probe():
            return False
        self.mark_down()
        return True

    def mark_down(self) -> None:
        if self.down_since is None:
            self.down_since = datetime.now(UTC)
            self._down_monotonic = time.monotonic()
            self.outages += 1
            log.warning("database unreachable: holding events until it answers")

    async def wait_until_up(self) -> None:
        """Return once the database answers, probing with exponential back-off."""
        if self.down_since is None:
            return
        delay = self.first_delay
        while not await self.probe():
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_delay)
        log.info("database answers again after %.1f s", self.down_for())
        self.down_since = None
        self._down_monotonic = None
