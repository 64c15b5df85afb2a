"""Idempotency cannot apply a request twice (api.md, Idempotency), against real PostgreSQL.

A small app built by `create_service_app` on a records database serves one route whose effect is
an append-only row (`effects`): a request applied twice leaves two rows. The route can be held at
a gate while its transaction is open, so a request outlives its lease for as long as the test says.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from clinic_common.app import ServiceSpec, create_service_app
from clinic_common.db import SessionDep
from clinic_common.idempotency import IdempotencyDep
from clinic_common.settings import ServiceSettings
from clinic_testkit.stack import eventually

pytestmark = pytest.mark.integration

LEASE = 1.0


class Effect(BaseModel):
    label: str


@dataclass
class Gates:
    """Requests carrying `X-Gate: <name>` wait inside their transaction until the test opens it."""

    events: dict[str, asyncio.Event] = field(default_factory=dict)
    fail_once: set[str] = field(default_factory=set)

    def gate(self, name: str) -> asyncio.Event:
        return self.events.setdefault(name, asyncio.Event())


def effect_router(gates: Gates) -> APIRouter:
    router = APIRouter()

    @router.post("/effects", status_code=201)
    async def make_effect(
        request: Request,
        session: SessionDep,
        idem: IdempotencyDep,
        x_gate: Annotated[str | None, Header()] = None,
        x_fail: Annotated[str | None, Header()] = None,
    ) -> JSONResponse:
        async def run() -> Effect:
            label = str(uuid.uuid4())
            await session.execute(text("INSERT INTO effects (label) VALUES (:label)"), {"label": label})
            await session.execute(text("SELECT pg_sleep(0.05)"))  # widen the race window a little
            if x_gate is not None:
                await gates.gate(x_gate).wait()
            if x_fail is not None and x_fail in gates.fail_once:
                gates.fail_once.discard(x_fail)
                raise RuntimeError("a bug, not a refusal")
            return Effect(label=label)

        return await idem.run(run, principal_subject="tester")

    return router


@dataclass
class EffectApp:
    client: httpx.AsyncClient
    gates: Gates
    database_url: str
    engine: Any

    async def post(self, key: str, **headers: str) -> httpx.Response:
        return await self.client.post(
            "/effects", json={"what": "once"}, headers={"Idempotency-Key": key, **headers}
        )

    async def effects(self) -> int:
        async with self.engine.connect() as conn:
            return int(await conn.scalar(text("SELECT count(*) FROM effects")) or 0)

    async def sql(self, query: str, **params: Any) -> Any:
        async with self.engine.connect() as conn:
            return await conn.scalar(text(query), params)


async def start_effect_app(
    database_factory: Any, dev_keys: tuple[Path, Path], **settings: Any
) -> AsyncIterator[EffectApp]:
    from records.db import platform  # any service's platform tables do; records is migrated

    url = database_factory("records")
    values: dict[str, Any] = {
        "env": "test",
        "database_url": url,
        "run_workers": False,
        "jwt_public_key_file": dev_keys[1],
        "idempotency_lease_seconds": LEASE,
        "db_pool_size": 10,
        **settings,
    }
    gates = Gates()
    app = create_service_app(
        ServiceSpec(
            name="records",
            title="idempotency test",
            settings=ServiceSettings(**values),
            platform=platform,
            routers=[effect_router(gates)],
        )
    )
    lifespan = app.router.lifespan_context(app)
    await lifespan.__aenter__()
    engine = app.state.db.engine
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE effects (id bigserial PRIMARY KEY, label text NOT NULL)"))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    client = httpx.AsyncClient(transport=transport, base_url="http://effects", timeout=30)
    try:
        yield EffectApp(client, gates, url, engine)
    finally:
        for event in gates.events.values():
            event.set()
        await client.aclose()
        await lifespan.__aexit__(None, None, None)


@pytest.fixture
async def effect_app(database_factory: Any, dev_keys: tuple[Path, Path]) -> AsyncIterator[EffectApp]:
    async for running in start_effect_app(database_factory, dev_keys):
        yield running


@pytest.fixture
async def stalled_heartbeat_app(
    database_factory: Any, dev_keys: tuple[Path, Path]
) -> AsyncIterator[EffectApp]:
    """Renewals far apart compared with the lease: a process that stalls (a paused VM, a lost link)."""
    async for running in start_effect_app(database_factory, dev_keys, idempotency_heartbeat_seconds=3600):
        yield running


async def lease_outlived(app: EffectApp, key: str, leases: float = 2.5) -> None:
    """Bounded polling until the key's claim is older than `leases` leases (by the database clock)."""
    seconds = LEASE * leases

    async def old_enough() -> bool:
        return bool(
            await app.sql(
                "SELECT clock_timestamp() > created_at + make_interval(secs => :s) "
                "FROM idempotency_keys WHERE key = :key",
                s=seconds,
                key=key,
            )
        )

    await eventually(old_enough, timeout=15)


async def test_request_outliving_its_lease_keeps_the_key_while_it_runs(effect_app: EffectApp) -> None:
    """The heartbeat keeps the lease fresh: the retry is told the first is still running."""
    slow = asyncio.create_task(effect_app.post("k-slow", **{"X-Gate": "slow"}))
    await lease_outlived(effect_app, "k-slow")
    retry = await effect_app.post("k-slow")
    assert (retry.status_code, retry.json()["code"]) == (409, "idempotency_key_in_progress")
    effect_app.gates.gate("slow").set()
    first = await slow
    assert first.status_code == 201, first.text
    assert await effect_app.effects() == 1
    again = await effect_app.post("k-slow")
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["Idempotent-Replayed"] == "true"


async def test_request_outliving_its_lease_raced_by_its_retry_gives_exactly_one_effect(
    stalled_heartbeat_app: EffectApp,
) -> None:
    """The lease lapses, the retry takes the key over and commits; the first can no longer
    complete: its transaction rolls back with 409, so the effect happens once."""
    app = stalled_heartbeat_app
    slow = asyncio.create_task(app.post("k-race", **{"X-Gate": "stalled"}))
    await lease_outlived(app, "k-race", leases=1.2)

    async def retry_applied() -> httpx.Response | None:
        r = await app.post("k-race")
        return r if r.status_code == 201 else None

    retry = await eventually(retry_applied, timeout=15)
    app.gates.gate("stalled").set()
    first = await slow
    assert (first.status_code, first.json()["code"]) == (409, "idempotency_key_in_progress"), first.text
    assert await app.effects() == 1
    later = await app.post("k-race")
    assert (later.status_code, later.json()) == (201, retry.json())


async def test_fifty_concurrent_identical_requests_give_one_effect_and_consistent_answers(
    effect_app: EffectApp,
) -> None:
    answers = await asyncio.gather(*(effect_app.post("k-50") for _ in range(50)))
    created = [r.json() for r in answers if r.status_code == 201]
    others = {(r.status_code, r.json()["code"]) for r in answers if r.status_code != 201}
    assert created, [r.text for r in answers]
    assert all(body == created[0] for body in created)
    assert others <= {(409, "idempotency_key_in_progress")}
    assert await effect_app.effects() == 1
    last = await effect_app.post("k-50")
    assert (last.status_code, last.json()) == (201, created[0])


async def test_request_failing_with_an_unexpected_exception_frees_the_key(effect_app: EffectApp) -> None:
    effect_app.gates.fail_once.add("boom")
    failed = await effect_app.post("k-boom", **{"X-Fail": "boom"})
    assert (failed.status_code, failed.json()["code"]) == (500, "internal_error")
    retry = await effect_app.post("k-boom", **{"X-Fail": "boom"})  # at once, well inside the lease
    assert retry.status_code == 201, retry.text
    assert await effect_app.effects() == 1


async def test_cancelled_request_frees_the_key(effect_app: EffectApp) -> None:
    doomed = asyncio.create_task(effect_app.post("k-cancel", **{"X-Gate": "never"}))

    async def claimed() -> bool:
        return bool(await effect_app.sql("SELECT count(*) FROM idempotency_keys WHERE key = 'k-cancel'"))

    await eventually(claimed)
    doomed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await doomed
    retry = await effect_app.post("k-cancel")
    assert retry.status_code == 201, retry.text
    assert await effect_app.effects() == 1


@pytest.fixture
async def small_pool_app(database_factory: Any, dev_keys: tuple[Path, Path]) -> AsyncIterator[EffectApp]:
    """Two request connections in all (pool 1 + overflow 1), as a busy replica would have to spare."""
    async for running in start_effect_app(database_factory, dev_keys, db_pool_size=1):
        yield running


async def test_a_burst_of_failing_requests_on_a_small_pool_never_starves_the_key_store(
    small_pool_app: EffectApp,
) -> None:
    """Each request holds a connection while its key is claimed, renewed and released; those run on
    the key store's own pool, so a burst never waits on itself (once: 503s after the pool timeout)."""
    keys = [f"k-burst-{n}" for n in range(8)]
    small_pool_app.gates.fail_once.update(keys)
    answers = await asyncio.gather(*(small_pool_app.post(key, **{"X-Fail": key}) for key in keys))
    assert [(r.status_code, r.json()["code"]) for r in answers] == [(500, "internal_error")] * len(keys)
    assert await small_pool_app.effects() == 0  # every transaction rolled back
    assert await small_pool_app.sql("SELECT count(*) FROM idempotency_keys") == 0  # every key released
