"""The outbox relay: publishes committed outbox rows to JetStream, in order, at least once.

One relay per service database holds a PostgreSQL advisory lock, so with several replicas only one
publishes and events leave in outbox order. It never holds a transaction open while NATS is away:
read a batch, publish each row awaiting the PubAck (Nats-Msg-Id = event id, so JetStream drops a
republished duplicate), then mark the batch sent in a second short transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import zlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from uuid import UUID

from nats.js import JetStreamContext
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from clinic_common.db.platform import PlatformTables
from clinic_common.events.outbox import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

AfterPublishHook = Callable[[Any], Awaitable[None]]
PublishedHook = Callable[[str], None]


def relay_lock_key(service: str) -> int:
    return zlib.crc32(f"clinic-outbox-relay:{service}".encode())


class OutboxRelay:
    def __init__(
        self,
        *,
        engine: AsyncEngine,
        platform: PlatformTables,
        js: Callable[[], Awaitable[JetStreamContext]],
        service: str,
        batch_size: int = 100,
        poll_interval: float = 2.0,
        publish_timeout: float = 5.0,
        after_publish: AfterPublishHook | None = None,
        on_published: PublishedHook | None = None,
    ) -> None:
        self.engine = engine
        self.platform = platform
        self._js = js
        self.service = service
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.publish_timeout = publish_timeout
        self.after_publish = after_publish  # test seam: simulate a crash after the PubAck
        self.on_published = on_published
        self.lock_key = relay_lock_key(service)
        self.published_count = 0
        self.is_leader = False
        self._wake = asyncio.Event()

    async def run(self) -> None:
        """Run forever: take the lock, then relay whenever woken or every poll interval."""
        while True:
            try:
                await self._lead()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; restarting")
                self.is_leader = False
                await asyncio.sleep(self.poll_interval)

    async def _lead(self) -> None:
        conn = await self.engine.connect()
        try:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            while not await conn.scalar(select(func.pg_try_advisory_lock(self.lock_key))):
                self.is_leader = False
                await asyncio.sleep(self.poll_interval)
            self.is_leader = True
            await self._listen(conn)
            while True:
                try:
                    sent = await self.relay_once()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # NATS away or DB hiccup: back off, keep the lock
                    log.warning("outbox relay cycle failed: %s", exc)
                    await asyncio.sleep(min(self.poll_interval, 1.0))
                    continue
                if sent < self.batch_size:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.poll_interval)
        finally:
            self.is_leader = False
            with contextlib.suppress(Exception):
                await conn.close()  # closing the session releases the advisory lock

    async def _listen(self, conn: AsyncConnection) -> None:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        await driver.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())

    async def pending(self) -> Sequence[Any]:
        t = self.platform.outbox
        async with self.engine.connect() as conn:
            stmt = (
                select(t.c.position, t.c.id, t.c.type, t.c.envelope, t.c.headers)
                .where(t.c.published_at.is_(None))
                .order_by(t.c.position)
                .limit(self.batch_size)
            )
            return (await conn.execute(stmt)).all()

    async def relay_once(self) -> int:
        """Publish one batch; returns how many rows were published and marked."""
        rows = await self.pending()
        if not rows:
            return 0
        js = await self._js()
        done: list[UUID] = []
        try:
            for row in rows:
                await self._publish(js, row)
                done.append(row.id)
        except Exception:
            # Mark what did leave; a BaseException (cancellation, a kill) marks nothing and the
            # next leader republishes: JetStream and the consumers' inbox drop the duplicates.
            if done:
                await self._mark_sent(done)
            raise
        await self._mark_sent(done)
        return len(done)

    async def _publish(self, js: JetStreamContext, row: Any) -> None:
        headers = {str(k): str(v) for k, v in (row.headers or {}).items()}
        headers["Nats-Msg-Id"] = str(row.id)
        body = json.dumps(row.envelope, separators=(",", ":")).encode()
        ack = await js.publish(row.type, body, timeout=self.publish_timeout, headers=headers)
        if not ack.duplicate:
            self.published_count += 1
            if self.on_published:
                self.on_published(row.type)
        if self.after_publish is not None:
            await self.after_publish(row)

    async def _mark_sent(self, ids: list[UUID]) -> None:
        t = self.platform.outbox
        async with self.engine.begin() as conn:
            await conn.execute(update(t).where(t.c.id.in_(ids)).values(published_at=func.now()))

    async def backlog(self) -> int:
        t = self.platform.outbox
        async with self.engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).where(t.c.published_at.is_(None))) or 0)
