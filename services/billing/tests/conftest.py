"""Billing's app under test: a migrated database of its own (clinic_testkit), a fixed business clock,
tokens signed with the run's development key. No NATS: events are fed to the processor directly."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI

from clinic_common.clock import FixedClock
from clinic_common.demo import ORG_ALMATY_ID, ORG_MOSCOW_ID
from clinic_common.events.catalog import EventPayload, type_of
from clinic_common.events.envelope import EventEnvelope, new_event_id
from clinic_common.events.payloads.scheduling import OrganizationUpserted

from billing.config import Settings
from billing.main import create_app

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)  # a Sunday; 14:00 in Almaty, 12:00 in Moscow

ORGANIZATIONS = {
    ORG_ALMATY_ID: ("Demo Almaty", "KZ", "KZT", "Asia/Almaty"),
    ORG_MOSCOW_ID: ("Demo Moscow", "RU", "RUB", "Europe/Moscow"),
}


class BillingHarness:
    def __init__(
        self, app: FastAPI, client: httpx.AsyncClient, clock: FixedClock, settings: Settings
    ) -> None:
        self.app = app
        self.client = client
        self.clock = clock
        self.settings = settings

    async def deliver(
        self, payload: EventPayload, *, subject: UUID, sequence: int = 1, org: UUID | None = None
    ) -> bool:
        """Hand one event to the service's processor, as its consumer would."""
        type_ = type_of(type(payload))
        envelope = EventEnvelope(
            id=new_event_id(),
            type=type_,
            source=type_.split(".")[1],
            subject=str(subject),
            time=self.clock.now(),
            orgid=org,
            sequence=sequence,
            data=payload.model_dump(mode="json"),
        )
        return bool(await self.app.state.event_processor.process(envelope))

    async def learn_organization(self, org_id: UUID, sequence: int = 1) -> None:
        name, country, currency, tz = ORGANIZATIONS[org_id]
        await self.deliver(
            OrganizationUpserted(
                id=org_id, name=name, country=country, currency=currency, time_zone=tz, branches=[]
            ),
            subject=org_id,
            sequence=sequence,
        )

    async def fetch(self, sql: str, **params: Any) -> list[Any]:
        from sqlalchemy import text

        async with self.app.state.db.sessionmaker() as session:
            return list((await session.execute(text(sql), params)).all())


@pytest.fixture
async def billing(
    database_factory: Callable[[str], str], dev_keys: tuple[Path, Path]
) -> AsyncIterator[BillingHarness]:
    settings = Settings(
        database_url=database_factory("billing"),
        nats_url="nats://127.0.0.1:1",  # never reached: workers are off
        run_workers=False,
        jwt_public_key_file=dev_keys[1],
        db_pool_size=2,
    )
    clock = FixedClock(NOW)
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://billing") as client:
            yield BillingHarness(app, client, clock, settings)
