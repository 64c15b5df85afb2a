"""Deliveries (architecture.md, Events: side effects outside the system) against real PostgreSQL.

The provider is the one thing outside the system, so it is a stub here: `StubProvider` behaves as
a real gateway does with idempotency keys (the first request with a key takes effect, a repeat
gets the first answer) and counts requests and effects, so a double send would show.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.clock import FixedClock
from clinic_common.db import Database
from clinic_common.deliveries import (
    Deliveries,
    DeliveryOutcome,
    DeliveryRejected,
    DeliveryUnavailable,
    DeliveryWorker,
    OutcomeHandler,
    OutgoingMessage,
    ProviderReceipt,
    Providers,
    RetryPolicy,
)
from clinic_common.observability import Metrics
from clinic_testkit.stack import Stack, auth, eventually

pytestmark = pytest.mark.integration

BUSINESS_NOW = datetime(2031, 3, 4, 9, 30, tzinfo=UTC)


@dataclass
class StubProvider:
    """An SMS gateway that dedupes by idempotency key. `script[key]` lists what the next requests
    with that key meet: "ok", "unavailable", "reject", "hang" (never answers)."""

    name: str = "stub-sms"
    script: dict[str, list[str]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    effects: dict[str, str] = field(default_factory=dict)  # key -> provider reference
    in_flight: set[str] = field(default_factory=set)
    overlaps: list[str] = field(default_factory=list)
    latency: float = 0.0

    async def send(self, message: OutgoingMessage) -> ProviderReceipt:
        key = message.idempotency_key
        self.requests.append(key)
        if key in self.in_flight:
            self.overlaps.append(key)
        self.in_flight.add(key)
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            steps = self.script.get(key, [])
            step = steps.pop(0) if steps else "ok"
            if step == "hang":
                await asyncio.Event().wait()
            if step == "unavailable":
                raise DeliveryUnavailable("gateway busy")
            if step == "reject":
                raise DeliveryRejected("invalid number", response={"error": "bad_recipient"})
            reference = self.effects.setdefault(key, f"msg-{len(self.effects) + 1}")
            return ProviderReceipt(reference=reference, response={"accepted": True, "id": reference})
        finally:
            self.in_flight.discard(key)


@pytest.fixture
async def db(database_factory: Any) -> AsyncIterator[Database]:
    database = Database(database_factory("records"), pool_size=10)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def platform() -> Any:
    from records.db import platform  # any service's platform tables; records is migrated

    return platform


@dataclass
class Harness:
    db: Database
    platform: Any
    provider: StubProvider
    metrics: Metrics
    clock: FixedClock
    outcomes: dict[str, OutcomeHandler] = field(default_factory=dict)

    def worker(self, **over: Any) -> DeliveryWorker:
        values: dict[str, Any] = {
            "sessionmaker": self.db.sessionmaker,
            "platform": self.platform,
            "providers": Providers({"sms": self.provider}),
            "clock": self.clock,
            "on_outcome": self.outcomes,
            "policy": RetryPolicy(max_attempts=3, backoff_seconds=(0.05,)),
            "lease_seconds": 2.0,
            "provider_timeout": 1.0,
            "poll_seconds": 0.05,
            "on_result": self.metrics.delivery_result,
            "on_pending": self.metrics.set_deliveries_pending,
            **over,
        }
        return DeliveryWorker(**values)

    async def add(self, key: str, *, channel: str = "sms", ref: tuple[str, str] | None = None) -> uuid.UUID:
        async with self.db.sessionmaker() as session, session.begin():
            return await Deliveries(self.platform).add(
                session,
                channel=channel,
                recipient="+77011234567",
                payload={"text": f"Your visit {key} is confirmed"},
                idempotency_key=key,
                ref=ref,
            )

    async def row(self, delivery_id: uuid.UUID) -> dict[str, Any]:
        async with self.db.engine.connect() as conn:
            result = await conn.execute(text("SELECT * FROM deliveries WHERE id = :id"), {"id": delivery_id})
            return dict(result.mappings().one())

    async def status(self, delivery_id: uuid.UUID) -> str:
        return str((await self.row(delivery_id))["status"])

    def counted(self, outcome: str, channel: str = "sms") -> float:
        value = self.metrics.registry.get_sample_value(
            "deliveries_total", {"service": "test", "channel": channel, "outcome": outcome}
        )
        return value or 0.0

    @contextlib.asynccontextmanager
    async def running(self, *workers: DeliveryWorker) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(w.run()) for w in workers]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task


@pytest.fixture
def harness(db: Database, platform: Any) -> Iterator[Harness]:
    yield Harness(db, platform, StubProvider(), Metrics("test"), FixedClock(BUSINESS_NOW))


async def until_status(h: Harness, delivery_id: uuid.UUID, status: str) -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        row = await h.row(delivery_id)
        return row if row["status"] == status else None

    result: dict[str, Any] = await eventually(reached, timeout=15)
    return result


async def test_add_is_idempotent_on_its_key_and_commits_with_the_caller(harness: Harness) -> None:
    first = await harness.add("appointment-1:reminder")
    again = await harness.add("appointment-1:reminder")  # the event handled a second time
    assert again == first
    with contextlib.suppress(RuntimeError):
        async with harness.db.sessionmaker() as session, session.begin():
            await Deliveries(harness.platform).add(
                session, channel="sms", recipient="+7", payload={}, idempotency_key="rolled-back"
            )
            raise RuntimeError("the state change failed")
    async with harness.db.engine.connect() as conn:
        keys = (await conn.execute(text("SELECT idempotency_key, status FROM deliveries"))).all()
    assert keys == [("appointment-1:reminder", "pending")]


async def test_worker_sends_a_pending_row_and_stores_the_outcome(harness: Harness) -> None:
    delivery_id = await harness.add("k-send")
    async with harness.running(harness.worker()):
        row = await until_status(harness, delivery_id, "sent")
    assert harness.provider.requests == ["k-send"]
    assert row["attempts"] == 1
    assert row["provider"] == "stub-sms"
    assert row["outcome"] == {"reference": "msg-1", "response": {"accepted": True, "id": "msg-1"}}
    assert row["sent_at"] == BUSINESS_NOW  # a business timestamp: the service clock
    assert row["lease_until"] is None and row["last_error"] is None
    assert harness.counted("sent") == 1
    pending = harness.metrics.registry.get_sample_value("deliveries_pending", {"service": "test"})
    assert pending == 0


async def test_transient_failures_are_retried_with_backoff_then_sent(harness: Harness) -> None:
    harness.provider.script["k-flaky"] = ["unavailable", "unavailable", "ok"]
    delivery_id = await harness.add("k-flaky")
    async with harness.running(harness.worker()):
        row = await until_status(harness, delivery_id, "sent")
    assert harness.provider.requests == ["k-flaky"] * 3  # the same key every time
    assert row["attempts"] == 3
    assert harness.provider.effects == {"k-flaky": "msg-1"}
    assert (harness.counted("retried"), harness.counted("sent"), harness.counted("failed")) == (2, 1, 0)


async def test_transient_failures_up_to_the_limit_end_failed_with_the_error(harness: Harness) -> None:
    seen: list[DeliveryOutcome] = []

    async def on_outcome(session: AsyncSession, outcome: DeliveryOutcome) -> None:
        seen.append(outcome)

    harness.outcomes["notification"] = on_outcome
    harness.provider.script["k-down"] = ["unavailable"] * 10
    delivery_id = await harness.add("k-down", ref=("notification", "n-1"))
    async with harness.running(harness.worker()):
        row = await until_status(harness, delivery_id, "failed")
    assert row["attempts"] == 3 and len(harness.provider.requests) == 3
    assert row["last_error"] == "DeliveryUnavailable: gateway busy"
    assert row["sent_at"] is None
    assert [(o.status, o.ref_type, o.ref_id, o.error) for o in seen] == [
        ("failed", "notification", "n-1", "DeliveryUnavailable: gateway busy")
    ]
    assert (harness.counted("retried"), harness.counted("failed")) == (2, 1)


async def test_provider_that_never_answers_times_out_and_is_retried(harness: Harness) -> None:
    harness.provider.script["k-slow"] = ["hang", "ok"]
    delivery_id = await harness.add("k-slow")
    async with harness.running(harness.worker(provider_timeout=0.3, lease_seconds=1.0)):
        row = await until_status(harness, delivery_id, "sent")
    assert row["attempts"] == 2 and harness.provider.requests == ["k-slow", "k-slow"]


async def test_permanent_rejection_fails_at_once(harness: Harness) -> None:
    harness.provider.script["k-bad"] = ["reject", "ok"]
    delivery_id = await harness.add("k-bad")
    async with harness.running(harness.worker()):
        row = await until_status(harness, delivery_id, "failed")
    assert harness.provider.requests == ["k-bad"]
    assert row["attempts"] == 1
    assert row["last_error"] == "invalid number"
    assert row["outcome"] == {"reference": None, "response": {"error": "bad_recipient"}}
    assert (harness.counted("retried"), harness.counted("failed")) == (0, 1)


async def test_expired_lease_is_claimed_again_and_resent_with_the_same_key(harness: Harness) -> None:
    """A worker claims the row, the provider takes the message, and the worker dies before it
    stores the outcome: after the lease, another worker resends it and the provider dedupes."""
    delivery_id = await harness.add("k-lost")
    dying = harness.worker()
    (claimed,) = await dying.claim(10)
    await harness.provider.send(claimed.message())  # taken by the provider; the outcome is lost

    survivor = harness.worker()
    assert await survivor.run_once() == 0  # leased: nobody else sends it meanwhile
    assert await harness.status(delivery_id) == "pending"

    async def resent() -> bool:
        return await survivor.run_once() == 1

    await eventually(resent, timeout=10)
    row = await harness.row(delivery_id)
    assert (row["status"], row["attempts"]) == ("sent", 2)
    assert harness.provider.requests == ["k-lost", "k-lost"]
    assert harness.provider.effects == {"k-lost": "msg-1"}  # one SMS at the provider
    assert row["outcome"]["reference"] == "msg-1"


async def test_a_stale_worker_cannot_overwrite_a_newer_claim(harness: Harness) -> None:
    delivery_id = await harness.add("k-stale")
    slow, fast = harness.worker(), harness.worker()
    (old,) = await slow.claim(10)
    async with harness.db.engine.begin() as conn:  # its lease lapses (a paused process)
        await conn.execute(text("UPDATE deliveries SET next_attempt_at = now(), lease_until = now()"))
    (new,) = await fast.claim(10)
    assert (old.attempts, new.attempts) == (1, 2)
    await slow.deliver(old)  # wakes up, sends (deduped by key) and tries to store
    row = await harness.row(delivery_id)
    assert (row["status"], row["attempts"], row["outcome"]) == ("pending", 2, None)
    await fast.deliver(new)
    row = await harness.row(delivery_id)
    assert (row["status"], row["attempts"]) == ("sent", 2)
    assert harness.provider.effects == {"k-stale": "msg-1"}
    assert harness.counted("sent") == 1


async def test_concurrent_workers_never_send_one_row_twice_at_once(harness: Harness) -> None:
    harness.provider.latency = 0.02
    ids = [await harness.add(f"k-many-{n}") for n in range(60)]
    workers = [harness.worker(batch_size=5) for _ in range(4)]

    async def all_sent() -> bool:
        async with harness.db.engine.connect() as conn:
            left = await conn.scalar(text("SELECT count(*) FROM deliveries WHERE status <> 'sent'"))
        return bool(left == 0)

    async with harness.running(*workers):
        await eventually(all_sent, timeout=30)
    assert harness.provider.overlaps == []
    per_key = Counter(harness.provider.requests)
    assert len(per_key) == len(ids) and set(per_key.values()) == {1}
    async with harness.db.engine.connect() as conn:
        attempts = (await conn.execute(text("SELECT DISTINCT attempts FROM deliveries"))).scalars().all()
    assert attempts == [1]


async def test_on_outcome_commits_with_the_outcome_or_neither_is_stored(harness: Harness) -> None:
    """What billing needs for a fiscal receipt: the register's answer lands in the service's own
    table in the same transaction as the delivery's outcome."""
    async with harness.db.engine.begin() as conn:
        await conn.execute(
            text("CREATE TABLE fiscal_documents (id text PRIMARY KEY, status text, fiscal_number text)")
        )
        await conn.execute(text("INSERT INTO fiscal_documents VALUES ('fd-1', 'pending', NULL)"))
    failures = [RuntimeError("billing's table is locked")]

    async def store_fiscal(session: AsyncSession, outcome: DeliveryOutcome) -> None:
        if failures:
            raise failures.pop()
        await session.execute(
            text("UPDATE fiscal_documents SET status = 'registered', fiscal_number = :n WHERE id = :id"),
            {"n": outcome.reference, "id": outcome.ref_id},
        )

    harness.outcomes["fiscal_document"] = store_fiscal
    delivery_id = await harness.add("fiscal:fd-1", channel="sms", ref=("fiscal_document", "fd-1"))
    worker = harness.worker()
    await worker.run_once()
    row = await harness.row(delivery_id)
    assert (row["status"], row["outcome"]) == ("pending", None)  # rolled back with the handler
    assert row["last_error"] == "storing the outcome failed: billing's table is locked"
    async with harness.running(worker):
        await until_status(harness, delivery_id, "sent")
    async with harness.db.engine.connect() as conn:
        doc = (await conn.execute(text("SELECT status, fiscal_number FROM fiscal_documents"))).one()
    assert tuple(doc) == ("registered", "msg-1")
    assert harness.provider.effects == {"fiscal:fd-1": "msg-1"}  # resent with its key, one receipt


async def test_channels_without_a_provider_are_recorded_without_sending(harness: Harness) -> None:
    delivery_id = await harness.add("k-whatsapp", channel="whatsapp")
    async with harness.running(harness.worker()):
        row = await until_status(harness, delivery_id, "sent")
    assert harness.provider.requests == []
    assert row["provider"] == "recording"
    assert row["outcome"]["response"]["payload"] == {"text": "Your visit k-whatsapp is confirmed"}


# --- admin endpoints ---------------------------------------------------------------------------


async def insert_failed(svc: Any, key: str) -> str:
    async with svc.state.db.sessionmaker() as session, session.begin():
        delivery_id = await svc.state.deliveries.add(
            session, channel="sms", recipient="+7", payload={"text": "hi"}, idempotency_key=key
        )
        await session.execute(
            text("UPDATE deliveries SET status = 'failed', attempts = 8, last_error = 'down' WHERE id = :id"),
            {"id": delivery_id},
        )
    return str(delivery_id)


async def test_admin_lists_failed_deliveries_and_retries_one(stack: Stack) -> None:
    records = await stack.start("records", delivery_poll_seconds=0.1)
    admin = auth(stack.token("admin"))
    failed = await insert_failed(records, "k-admin")
    page = await records.client.get("/v1/admin/deliveries", params={"status": "failed"}, headers=admin)
    assert page.status_code == 200, page.text
    assert [(i["id"], i["status"], i["last_error"]) for i in page.json()["items"]] == [
        (failed, "failed", "down")
    ]

    retried = await records.client.post(f"/v1/admin/deliveries/{failed}/retry", headers=admin)
    assert retried.status_code == 200, retried.text
    assert (retried.json()["status"], retried.json()["attempts"]) == ("pending", 0)

    async def sent() -> dict[str, Any] | None:
        r = await records.client.get(f"/v1/admin/deliveries/{failed}", headers=admin)
        return r.json() if r.json()["status"] == "sent" else None

    row = await eventually(sent)
    assert row["attempts"] == 1 and row["provider"] == "recording"  # the default provider
    again = await records.client.post(f"/v1/admin/deliveries/{failed}/retry", headers=admin)
    assert (again.status_code, again.json()["code"]) == (409, "delivery_not_retryable")
    assert again.headers["content-type"].startswith("application/problem+json")


async def test_admin_delivery_list_pages_with_a_cursor(stack: Stack) -> None:
    records = await stack.start("records", run_workers=False)
    admin = auth(stack.token("admin"))
    ids = [await insert_failed(records, f"k-page-{n}") for n in range(5)]
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"status": "failed", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await records.client.get("/v1/admin/deliveries", params=params, headers=admin)).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (
            lambda c, h: c.get("/v1/admin/deliveries", params={"status": "lost"}, headers=h),
            (422, "validation_failed"),
        ),
        (
            lambda c, h: c.get("/v1/admin/deliveries", params={"cursor": "x"}, headers=h),
            (422, "validation_failed"),
        ),
        (lambda c, h: c.get(f"/v1/admin/deliveries/{uuid.uuid4()}", headers=h), (404, "not_found")),
        (lambda c, h: c.post(f"/v1/admin/deliveries/{uuid.uuid4()}/retry", headers=h), (404, "not_found")),
    ],
)
async def test_admin_delivery_endpoints_refuse_bad_requests_with_problems(
    stack: Stack, call: Callable[[Any, dict[str, str]], Any], expected: tuple[int, str]
) -> None:
    records = await stack.start("records", run_workers=False)
    r = await call(records.client, auth(stack.token("admin")))
    assert (r.status_code, r.json()["code"]) == expected
    assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("role", ["registrar", "director", "service"])
async def test_admin_delivery_endpoints_are_for_admins_only(stack: Stack, role: str) -> None:
    records = await stack.start("records", run_workers=False)
    headers = auth(stack.token(role, org=str(uuid.uuid4())))
    listed = await records.client.get("/v1/admin/deliveries", headers=headers)
    retried = await records.client.post(f"/v1/admin/deliveries/{uuid.uuid4()}/retry", headers=headers)
    assert (listed.status_code, retried.status_code) == (403, 403)
    anonymous = await records.client.get("/v1/admin/deliveries")
    assert anonymous.status_code == 401
