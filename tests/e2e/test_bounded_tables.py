"""Technical tables stay bounded under constant load (architecture.md, Retention).

Records registers patients without pause; scheduling consumes `patient.registered`. With windows
of one second, the sent outbox rows, the inbox ids and the expired idempotency keys must hold only
what is younger than their window (plus a few purge rounds), however much was written.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import text

from clinic_testkit.stack import Stack, Svc, auth, eventually, organization_event, teach

pytestmark = pytest.mark.e2e

ORG = uuid.UUID("0b000000-0000-4000-8000-0000000000cd")
WINDOWS: dict[str, Any] = {
    "outbox_retention_seconds": 1.0,
    "inbox_retention_seconds": 1.0,
    "idempotency_purge_grace_seconds": 0.0,
    "purge_interval_seconds": 0.2,
    "purge_batch_size": 7,
}
# Keys as the store writes them, with a one-second lifetime instead of 24 hours.
KEY = """INSERT INTO idempotency_keys (scope, key, fingerprint, state, lease_until, expires_at,
 response_status) VALUES ('POST /v1/patients', :key, 'f', 'completed', now(),
 now() + interval '1 second', 201)"""


async def table_state(svc: Svc, table: str, when: str, where: str = "true") -> tuple[int, float]:
    """(rows, age in seconds of the oldest) of `table` rows matching `where`."""
    oldest = f"coalesce(extract(epoch FROM now() - min({when})), 0)"
    async with svc.state.db.engine.connect() as conn:
        row = (await conn.execute(text(f"SELECT count(*), {oldest} FROM {table} WHERE {where}"))).one()
    return int(row[0]), float(row[1])


async def test_sent_outbox_rows_inbox_ids_and_expired_keys_stay_bounded_under_constant_load(
    stack: Stack,
) -> None:
    records = await stack.start("records", **WINDOWS)
    await teach(records, organization_event(ORG, "RU"), aggregate_id=ORG)
    scheduling = await stack.start("scheduling", **WINDOWS)
    headers = auth(stack.token("registrar", org=str(ORG)))
    written = {"events": 0, "keys": 0}
    stop = asyncio.Event()

    async def load() -> None:
        while not stop.is_set():
            n = written["events"]
            body = {
                "organization_id": str(ORG),
                "last_name": f"Load{n}",
                "first_name": "A",
                "birth_date": "1990-01-01",
                "identity_document": {"kind": "passport", "number": f"45 {n:08d}"},
                "address": {"text": "x"},
                "phone": "+7 900 000 00 00",
                "personal_data_consent": True,
            }
            r = await records.client.post("/v1/patients", json=body, headers=headers)
            assert r.status_code == 201, r.text
            written["events"] += 1
            async with records.state.db.engine.begin() as conn:
                await conn.execute(text(KEY), {"key": str(uuid.uuid4())})
            written["keys"] += 1
            await asyncio.sleep(0.01)

    async def bounded() -> bool:
        outbox = await table_state(records, "outbox", "published_at", "published_at IS NOT NULL")
        inbox = await table_state(scheduling, "inbox", "received_at")
        keys = await table_state(records, "idempotency_keys", "expires_at")
        sizes = {"outbox": outbox, "inbox": inbox, "keys": keys}
        # Far fewer rows than written, none older than the window and a few purge rounds.
        return written["events"] >= 150 and all(
            rows * 3 < written["events"] and oldest < 4.0 for rows, oldest in sizes.values()
        )

    task = asyncio.create_task(load())
    try:
        await eventually(bounded, timeout=60, interval=0.2)
    finally:
        stop.set()
        await task
    purged: dict[str, float] = {}
    for svc in (records, scheduling):
        for line in (await svc.client.get("/metrics")).text.splitlines():
            if line.startswith("purged_rows_total{"):
                table = line.split('table="')[1].split('"')[0]
                purged[table] = purged.get(table, 0.0) + float(line.rsplit(" ", 1)[1])
    assert purged["outbox"] > 0 and purged["inbox"] > 0 and purged["idempotency_keys"] > 0
