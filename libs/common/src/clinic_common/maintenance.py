"""The purge of technical tables (architecture.md, Retention), a periodic task of every service.

Kept bounded: sent outbox rows (after `outbox_retention`), inbox ids and handler-failure counts
(after `inbox_retention`: far longer than the 2-minute duplicate window and any redelivery, so an
id never goes while its event may still arrive again), and idempotency keys once past `expires_at`
(which is 24 h after the first request at least) plus a grace period. Each batch is one short
transaction under a transaction-level advisory lock: with several replicas one purges at a time,
and the others skip the round.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine

from clinic_common.db.platform import PlatformTables

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Retention:
    outbox: timedelta
    inbox: timedelta
    idempotency_grace: timedelta


def purge_lock_key(service: str) -> int:
    return zlib.crc32(f"clinic-purge:{service}".encode())


class Purger:
    def __init__(
        self,
        *,
        engine: AsyncEngine,
        platform: PlatformTables,
        service: str,
        retention: Retention,
        interval: float = 300.0,
        batch_size: int = 1000,
        on_purged: Callable[[str, int], None] | None = None,
    ) -> None:
        self.engine = engine
        self.platform = platform
        self.retention = retention
        self.interval = interval
        self.batch_size = batch_size
        self.on_purged = on_purged
        self.lock_key = purge_lock_key(service)
        self.purged: dict[str, int] = {}

    async def run(self) -> None:
        while True:
            try:
                await self.purge_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database away: try again next round
                log.warning("purge failed: %s", exc)
            await asyncio.sleep(self.interval)

    async def purge_once(self) -> dict[str, int]:
        """Delete everything past its window, batch by batch; returns rows deleted per table."""
        p = self.platform
        now = func.now()
        targets: list[tuple[Any, list[Any], ColumnElement[bool], Any]] = [
            (
                p.outbox,
                [p.outbox.c.position],
                p.outbox.c.published_at < now - self.retention.outbox,
                p.outbox.c.published_at,
            ),
            (
                p.inbox,
                [p.inbox.c.event_id],
                p.inbox.c.received_at < now - self.retention.inbox,
                p.inbox.c.received_at,
            ),
            (
                p.event_failures,
                [p.event_failures.c.event_id],
                p.event_failures.c.last_failed_at < now - self.retention.inbox,
                p.event_failures.c.last_failed_at,
            ),
            (
                p.idempotency_keys,
                [p.idempotency_keys.c.scope, p.idempotency_keys.c.key],
                p.idempotency_keys.c.expires_at < now - self.retention.idempotency_grace,
                p.idempotency_keys.c.expires_at,
            ),
        ]
        done: dict[str, int] = {}
        for table, key, expired, oldest_first in targets:
            done[table.name] = await self._purge(table, key, expired, oldest_first)
        return done

    async def _purge(self, table: Any, key: list[Any], expired: ColumnElement[bool], order: Any) -> int:
        total = 0
        while True:
            victims = select(*key).where(expired).order_by(order).limit(self.batch_size)
            victims = victims.with_for_update(skip_locked=True)
            target = key[0] if len(key) == 1 else tuple_(*key)
            async with self.engine.begin() as conn:
                if not await conn.scalar(select(func.pg_try_advisory_xact_lock(self.lock_key))):
                    return total  # another replica purges right now
                deleted = (await conn.execute(delete(table).where(target.in_(victims)))).rowcount
            total += deleted
            if deleted:
                self.purged[table.name] = self.purged.get(table.name, 0) + deleted
                if self.on_purged:
                    self.on_purged(table.name, deleted)
            if deleted < self.batch_size:
                return total
