"""System-test harness: the services run in-process against the run's real PostgreSQL and NATS.

Used by the `stack` fixture (tests/conftest.py) and imported by tests for its helpers.

Each test gets fresh databases cloned from the migrated templates and clean JetStream streams,
so events of one test never reach another.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import time as dtime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import nats
from fastapi import FastAPI
from nats.js.errors import NotFoundError

from clinic_common.clock import Clock
from clinic_common.events.catalog import EventPayload, type_of
from clinic_common.events.envelope import EventEnvelope, new_event_id
from clinic_common.events.payloads.scheduling import BranchData, OpeningInterval, OrganizationUpserted
from clinic_common.settings import ServiceSettings

SERVICES = {
    "scheduling": "scheduling",
    "billing": "billing",
    "records": "records",
    "home-visits": "home_visits",
}

TEST_SETTINGS: dict[str, Any] = {
    "env": "test",
    "consumer_ack_wait_seconds": 1.0,
    "consumer_backoff_seconds": [0.2, 0.4, 0.8],
    "consumer_max_deliver": 4,
    "idempotency_lease_seconds": 2.0,
    "db_pool_size": 5,
}


async def eventually(
    check: Callable[[], Awaitable[Any]],
    timeout: float = 20.0,  # noqa: ASYNC109  (a polling deadline, not a cancellable call)
    interval: float = 0.1,
) -> Any:
    """Poll until `check` returns something truthy; fail with the last value otherwise."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")


@dataclass
class Svc:
    name: str
    app: FastAPI
    client: httpx.AsyncClient
    settings: ServiceSettings
    database_url: str
    _exit: Callable[[], Awaitable[None]] = field(repr=False, default=None)  # type: ignore[assignment]

    @property
    def state(self) -> Any:
        return self.app.state

    async def stop(self) -> None:
        await self._exit()


class Stack:
    """Starts services of the system for one test."""

    def __init__(
        self, database_factory: Any, nats_url: str, public_key: Path, clock_file: Path, token: Any
    ) -> None:
        self.database_factory = database_factory
        self.nats_url = nats_url
        self.public_key = public_key
        self.clock_file = clock_file
        self.token = token
        self.running: list[Svc] = []
        self.databases: dict[str, str] = {}

    def database(self, service: str) -> str:
        if service not in self.databases:
            self.databases[service] = self.database_factory(service)
        return self.databases[service]

    def settings(self, service: str, **overrides: Any) -> ServiceSettings:
        pkg = SERVICES[service]
        config = importlib.import_module(f"{pkg}.config")
        values = {
            **TEST_SETTINGS,
            "database_url": self.database(service),
            "nats_url": self.nats_url,
            "jwt_public_key_file": self.public_key,
            "clock_file": self.clock_file,
            **overrides,
        }
        settings: ServiceSettings = config.Settings(**values)
        return settings

    async def start(self, service: str, *, clock: Clock | None = None, **overrides: Any) -> Svc:
        pkg = SERVICES[service]
        main = importlib.import_module(f"{pkg}.main")
        settings = self.settings(service, **overrides)
        app: FastAPI = main.create_app(settings, clock=clock)
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{service}")

        async def exit_() -> None:
            await client.aclose()
            await lifespan.__aexit__(None, None, None)

        svc = Svc(service, app, client, settings, settings.database_url, exit_)
        self.running.append(svc)
        return svc

    async def stop(self, svc: Svc) -> None:
        if svc in self.running:
            self.running.remove(svc)
            await svc.stop()

    async def close(self) -> None:
        for svc in reversed(self.running):
            await svc.stop()
        self.running.clear()


async def clean_jetstream(url: str) -> None:
    """Delete every stream, so each test starts with no events and no durable consumers."""
    nc = await nats.connect(url, connect_timeout=5)
    try:
        js = nc.jetstream()
        for name in ("SCHEDULING", "BILLING", "RECORDS", "HOME_VISITS"):
            with contextlib.suppress(NotFoundError):
                await js.delete_stream(name)
    finally:
        await nc.close()


def envelope_for(
    payload: EventPayload, *, aggregate_id: UUID | str, sequence: int = 1, **extra: Any
) -> EventEnvelope:
    """An envelope as the producer would write it, for feeding one service's handlers directly."""
    from datetime import UTC, datetime

    type_ = type_of(type(payload))
    return EventEnvelope(
        id=new_event_id(),
        type=type_,
        source=type_.split(".")[1],
        subject=str(aggregate_id),
        time=datetime.now(UTC),
        sequence=sequence,
        data=payload.model_dump(mode="json"),
        **extra,
    )


def organization_event(org_id: UUID, country: str = "KZ") -> OrganizationUpserted:
    hours = [OpeningInterval(weekday=d, opens=dtime(8), closes=dtime(20)) for d in range(7)]
    zone = "Asia/Almaty" if country == "KZ" else "Europe/Moscow"
    return OrganizationUpserted(
        id=org_id,
        name=f"Test org {country}",
        country=country,
        currency="KZT" if country == "KZ" else "RUB",
        time_zone=zone,
        branches=[
            BranchData(
                id=UUID(int=org_id.int + 1),
                name="Main",
                address="Street 1",
                time_zone=zone,
                opening_hours=hours,
            )
        ],
    )


async def teach(svc: Svc, payload: EventPayload, *, aggregate_id: UUID | str, sequence: int = 1) -> None:
    """Feed one event through the service's real handlers, as if it had arrived from NATS."""
    await svc.state.event_processor.process(
        envelope_for(payload, aggregate_id=aggregate_id, sequence=sequence)
    )


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def open_cabinet(svc: Svc, patient_id: UUID | str, org_id: UUID | str) -> None:
    """Open a patient's personal cabinet in `svc` as the registry would (REC-19): records, the owner,
    holds it in its own `cabinet_access`; every other service learns it from records' event."""
    from datetime import UTC, datetime

    from sqlalchemy.dialects.postgresql import insert as pg_insert

    from clinic_common.events.payloads.records import CabinetAccessGranted

    now = datetime.now(UTC)
    if svc.name == "records":
        table = svc.state.platform.cabinet_access
        values = {
            "patient_id": UUID(str(patient_id)),
            "organization_id": UUID(str(org_id)),
            "granted": True,
            "restricted": False,
            "changed_at": now,
            "source_sequence": 1,
        }
        async with svc.state.db.engine.begin() as conn:
            stmt = pg_insert(table).values(**values)
            await conn.execute(stmt.on_conflict_do_update(index_elements=[table.c.patient_id], set_=values))
        return
    event = CabinetAccessGranted(
        patient_id=UUID(str(patient_id)),
        organization_id=UUID(str(org_id)),
        granted=True,
        restricted=False,
        changed_at=now,
    )
    await teach(svc, event, aggregate_id=patient_id)
