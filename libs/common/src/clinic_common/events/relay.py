"""The outbox relay: publishes committed outbox rows to JetStream, in order, at least once.

One relay per service database leads: it holds a PostgreSQL advisory lock on a connection of its
own (not from the pool), so with several replicas only one publishes and events leave in outbox
order. The lock is checked on that connection before every cycle, and the loss of the connection
(noticed by asyncpg at once) stops the relay before its next publish; the lock is released with
`pg_advisory_unlock` when the relay stops, and its connection is closed, never pooled. LISTEN runs
on the same connection, so a new leader (or the same one after a reconnect) listens again.

It never holds a transaction open while NATS is away: read a batch, publish each row awaiting the
PubAck (Nats-Msg-Id = event id, so JetStream drops a republished duplicate), then mark the batch
sent in a second short transaction. A row that can never be published (over the server's
max_payload, refused by the stream) is parked in `outbox_dead_letters` and the relay carries on;
later rows of the same aggregate are parked behind it, so no consumer sees them out of order
(see `outbox_parking`).
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

import nats.errors
from nats.js import JetStreamContext
from nats.js.errors import APIError
from sqlalchemy import func, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from clinic_common.db.platform import PlatformTables
from clinic_common.events.outbox import NOTIFY_CHANNEL
from clinic_common.events.outbox_parking import park_outbox_row

log = logging.getLogger(__name__)

PublishedHook = Callable[[str], None]
_NATS_HEADER_LINE = len(b"NATS/1.0\r\n") + len(b"\r\n")


def relay_lock_key(service: str) -> int:
    return zlib.crc32(f"clinic-outbox-relay:{service}".encode())


class LockLost(Exception):
    """The relay's lock connection is gone: another replica may lead now."""


class Unpublishable(Exception):
    """This row can never be published as it is (too large, refused by the stream)."""


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
        lock_retry_interval: float | None = None,
        publish_timeout: float = 5.0,
        max_payload: Callable[[], int | None] = lambda: None,
        on_published: PublishedHook | None = None,
        on_duplicate: PublishedHook | None = None,
        on_parked: PublishedHook | None = None,
        on_error: Callable[[], None] | None = None,
    ) -> None:
        self.engine = engine
        self.platform = platform
        self._js = js
        self.service = service
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.lock_retry_interval = lock_retry_interval or min(poll_interval, 1.0)
        self.publish_timeout = publish_timeout
        self.max_payload = max_payload
        self.on_published = on_published
        self.on_duplicate = on_duplicate
        self.on_parked = on_parked
        self.on_error = on_error
        self.lock_key = relay_lock_key(service)
        self.published_count = 0
        self.duplicate_count = 0
        self.parked_count = 0
        self.errors = 0
        self.last_error: str | None = None
        self.is_leader = False
        self._wake = asyncio.Event()
        self._lost: asyncio.Event | None = None

    async def run(self) -> None:
        """Run forever: take the lock, then relay whenever woken or every poll interval."""
        while True:
            try:
                await self._lead()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._failed(exc, "outbox relay stopped leading")
                await asyncio.sleep(self.lock_retry_interval)

    def _failed(self, exc: BaseException, what: str) -> None:
        self.errors += 1
        self.last_error = f"{type(exc).__name__}: {exc}"[:500]
        if self.on_error:
            self.on_error()
        log.warning("%s: %s", what, self.last_error)

    def _lock_engine(self) -> AsyncEngine:
        # NullPool: closing the connection ends the session, so the lock never returns to a pool.
        return create_async_engine(
            self.engine.url,
            poolclass=NullPool,
            connect_args={"server_settings": {"application_name": f"{self.service}-relay-lock"}},
        )

    async def _lead(self) -> None:
        lock_engine = self._lock_engine()
        lost = asyncio.Event()
        try:
            conn = await lock_engine.connect()
            try:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                driver = (await conn.get_raw_connection()).driver_connection
                assert driver is not None
                driver.add_termination_listener(lambda _c: lost.set())
                while not await conn.scalar(select(func.pg_try_advisory_lock(self.lock_key))):
                    await self._pause(self.lock_retry_interval, lost)
                    if lost.is_set():
                        raise LockLost("lock connection closed while waiting for the lock")
                try:
                    self._lost = lost
                    self.is_leader = True
                    log.info("outbox relay leads", extra={"service": self.service})
                    await driver.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
                    await self._relay_while_leading(conn, lost)
                finally:
                    self.is_leader = False
                    self._lost = None
                    if not lost.is_set():
                        with contextlib.suppress(Exception):
                            unlock = select(func.pg_advisory_unlock(self.lock_key))
                            await asyncio.wait_for(conn.execute(unlock), 2.0)
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.close(), 2.0)
        finally:
            await lock_engine.dispose()

    async def _relay_while_leading(self, conn: AsyncConnection, lost: asyncio.Event) -> None:
        while True:
            await self._check_lock(conn, lost)
            self._wake.clear()  # before reading: a NOTIFY during the cycle wakes the next one
            try:
                sent = await self.relay_once()
            except (LockLost, asyncio.CancelledError):
                raise
            except Exception as exc:  # NATS away or a DB hiccup: back off, keep the lock
                self._failed(exc, "outbox relay cycle failed")
                await self._pause(min(self.poll_interval, 1.0), lost)
                continue
            if sent < self.batch_size:
                await self._pause(self.poll_interval, lost, self._wake)

    @staticmethod
    async def _pause(seconds: float, lost: asyncio.Event, wake: asyncio.Event | None = None) -> None:
        """Sleep `seconds`, or less if the lock connection is lost or the relay is woken."""
        events = [lost] if wake is None else [lost, wake]
        waiters = [asyncio.ensure_future(e.wait()) for e in events]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _check_lock(self, conn: AsyncConnection, lost: asyncio.Event) -> None:
        """Raise LockLost unless this session still holds the advisory lock."""
        if lost.is_set():
            raise LockLost("lock connection closed")
        held = text(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND pid = pg_backend_pid() AND classid::bigint = :hi AND objid::bigint = :lo"
            " AND objsubid = 1)"
        )
        params = {"hi": self.lock_key >> 32, "lo": self.lock_key & 0xFFFFFFFF}
        try:
            ok = await asyncio.wait_for(conn.scalar(held, params), 5.0)
        except Exception as exc:
            raise LockLost(f"lock check failed: {exc}") from exc
        if not ok:
            raise LockLost("advisory lock no longer held")

    async def pending(self) -> tuple[Sequence[Any], set[tuple[str, str]]]:
        """The next unsent rows in order, and which of their aggregates have parked rows."""
        t = self.platform.outbox
        parked = self.platform.outbox_dead_letters
        async with self.engine.connect() as conn:
            stmt = (
                select(
                    t.c.position,
                    t.c.id,
                    t.c.type,
                    t.c.aggregate_type,
                    t.c.aggregate_id,
                    t.c.envelope,
                    t.c.headers,
                )
                .where(t.c.published_at.is_(None))
                .order_by(t.c.position)
                .limit(self.batch_size)
            )
            rows = (await conn.execute(stmt)).all()
            keys = {(r.aggregate_type, r.aggregate_id) for r in rows}
            if not keys:
                return rows, set()
            held = select(parked.c.aggregate_type, parked.c.aggregate_id).where(
                parked.c.status == "parked",
                tuple_(parked.c.aggregate_type, parked.c.aggregate_id).in_(list(keys)),
            )
            blocked = {(r.aggregate_type, r.aggregate_id) for r in (await conn.execute(held)).all()}
        return rows, blocked

    async def relay_once(self) -> int:
        """Publish (or park) one batch; returns how many rows left the outbox's unsent set."""
        rows, blocked = await self.pending()
        if not rows:
            return 0
        js = await self._js()
        done: list[UUID] = []
        try:
            for row in rows:
                if self._lost is not None and self._lost.is_set():
                    raise LockLost("lock connection closed during the batch")
                key = (row.aggregate_type, row.aggregate_id)
                if key in blocked:
                    await self._park(row, "held behind an earlier parked event of the same aggregate")
                    continue
                try:
                    await self._publish(js, row)
                except Unpublishable as exc:
                    await self._park(row, str(exc))
                    blocked.add(key)
                    continue
                done.append(row.id)
        except BaseException:
            # Mark what did leave; a kill marks nothing and the next leader republishes:
            # JetStream and the consumers' inbox drop the duplicates.
            if done:
                with contextlib.suppress(Exception):
                    await self._mark_sent(done)
            raise
        await self._mark_sent(done)
        return len(rows)

    async def _park(self, row: Any, error: str) -> None:
        if await park_outbox_row(self.engine, self.platform, row.id, error):
            self.parked_count += 1
            log.error("outbox row parked", extra={"event_id": str(row.id), "error": error})
            if self.on_parked:
                self.on_parked(row.type)

    async def _publish(self, js: JetStreamContext, row: Any) -> None:
        headers = {str(k): str(v) for k, v in (row.headers or {}).items()}
        headers["Nats-Msg-Id"] = str(row.id)
        body = json.dumps(row.envelope, separators=(",", ":")).encode()
        limit = self.max_payload()
        size = len(body) + _NATS_HEADER_LINE + sum(len(k) + len(v) + 4 for k, v in headers.items())
        if limit is not None and size > limit:
            # The server would refuse it and drop our connection: never send it.
            raise Unpublishable(f"message of {size} bytes exceeds the server's max_payload of {limit}")
        try:
            ack = await js.publish(row.type, body, timeout=self.publish_timeout, headers=headers)
        except nats.errors.MaxPayloadError as exc:
            raise Unpublishable(f"message of {size} bytes exceeds the server's max_payload") from exc
        except APIError as exc:
            if exc.code == 400:  # e.g. over the stream's max_msg_size: retrying cannot help
                raise Unpublishable(f"refused by the stream: {exc.description} ({exc.err_code})") from exc
            raise
        if ack.duplicate:
            self.duplicate_count += 1
            if self.on_duplicate:
                self.on_duplicate(row.type)
        else:
            self.published_count += 1
            if self.on_published:
                self.on_published(row.type)

    async def _mark_sent(self, ids: list[UUID]) -> None:
        t = self.platform.outbox
        async with self.engine.begin() as conn:
            await conn.execute(update(t).where(t.c.id.in_(ids)).values(published_at=func.now()))

    async def backlog(self) -> int:
        """Rows written but not yet published (or parked)."""
        t = self.platform.outbox
        async with self.engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).where(t.c.published_at.is_(None))) or 0)
