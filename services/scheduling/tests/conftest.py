"""Fixtures shared by scheduling's API tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from clinic_common.clock import FixedClock

from scheduling.config import Settings
from scheduling.demo import seed
from scheduling.main import create_app

SEEDED_NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)  # a Sunday: 14:00 in Almaty, 12:00 in Moscow


@pytest.fixture
async def client(
    database_factory: Callable[[str], str], dev_keys: tuple[Path, Path]
) -> AsyncIterator[httpx.AsyncClient]:
    """Scheduling on a fresh database with the demo seed, its clock fixed at SEEDED_NOW."""
    settings = Settings(
        database_url=database_factory("scheduling"),
        nats_url="nats://127.0.0.1:1",  # never reached: workers are off
        run_workers=False,
        jwt_public_key_file=dev_keys[1],
        db_pool_size=2,
    )
    app: FastAPI = create_app(settings, clock=FixedClock(SEEDED_NOW))
    async with app.router.lifespan_context(app):
        async with app.state.db.sessionmaker() as session, session.begin():
            await seed(session, settings)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://scheduling") as c:
            yield c
