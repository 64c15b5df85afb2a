"""The purge of technical tables against a real database: windows, batches, unsent rows kept."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from clinic_common.db import Database
from clinic_common.maintenance import Purger, Retention

pytestmark = pytest.mark.integration

OUTBOX = """INSERT INTO outbox (id, type, aggregate_type, aggregate_id, sequence, envelope, created_at,
 published_at) VALUES (:id, 'clinic.records.patient.registered', 'patient', :agg, 1, '{}',
 now() - make_interval(secs => :age), CASE WHEN :sent THEN now() - make_interval(secs => :age) END)"""
INBOX = """INSERT INTO inbox (event_id, type, source, received_at)
 VALUES (:id, 't', 's', now() - make_interval(secs => :age))"""
FAILURE = """INSERT INTO event_failures (event_id, type, failures, last_error, last_failed_at)
 VALUES (:id, 't', 1, 'e', now() - make_interval(secs => :age))"""
KEY = """INSERT INTO idempotency_keys (scope, key, fingerprint, state, lease_until, expires_at)
 VALUES ('s', :id, 'f', 'completed', now(), now() - make_interval(secs => :age))"""

HOUR = 3600.0


async def fill(db: Database, sql: str, ages: list[float], **extra: Any) -> None:
    async with db.engine.begin() as conn:
        for age in ages:
            params = {"id": str(uuid.uuid4()), "agg": str(uuid.uuid4()), "age": age, **extra}
            await conn.execute(text(sql), {k: v for k, v in params.items() if f":{k}" in sql})


async def count(db: Database, table: str) -> int:
    async with db.engine.connect() as conn:
        return int(await conn.scalar(text(f"SELECT count(*) FROM {table}")))


async def test_purge_deletes_past_the_windows_in_batches_keeps_unsent_rows_one_replica_at_a_time(
    database_factory: Any,
) -> None:
    from records.db import platform

    db = Database(database_factory("records"), pool_size=4)
    try:
        await fill(db, OUTBOX, [2 * HOUR] * 25 + [60.0] * 5, sent=True)  # 25 past the 1 h retention
        await fill(db, OUTBOX, [5 * HOUR] * 3, sent=False)  # old but never published: kept
        await fill(db, INBOX, [2 * HOUR] * 20 + [60.0] * 3)
        await fill(db, FAILURE, [2 * HOUR] * 4 + [60.0])
        await fill(db, KEY, [HOUR] * 6 + [60.0] * 2 + [-HOUR] * 3)  # expired for 1 h, 1 min, not yet

        def purger() -> Purger:
            return Purger(
                engine=db.engine,
                platform=platform,
                service="records",
                retention=Retention(
                    outbox=timedelta(hours=1),
                    inbox=timedelta(hours=1),
                    idempotency_grace=timedelta(minutes=30),
                ),
                batch_size=4,
            )

        replicas = [purger(), purger()]
        await asyncio.gather(*(p.purge_once() for p in replicas))  # one may skip while the other purges
        await replicas[0].purge_once()
        purged: dict[str, int] = {}
        for p in replicas:
            for table, rows in p.purged.items():
                purged[table] = purged.get(table, 0) + rows
        assert purged == {"outbox": 25, "inbox": 20, "event_failures": 4, "idempotency_keys": 6}
        assert await count(db, "outbox") == 5 + 3
        assert await count(db, "outbox WHERE published_at IS NULL") == 3
        assert await count(db, "inbox") == 3
        assert await count(db, "event_failures") == 1
        assert await count(db, "idempotency_keys") == 5
        assert await replicas[1].purge_once() == dict.fromkeys(purged, 0)  # nothing left to do
    finally:
        await db.dispose()
