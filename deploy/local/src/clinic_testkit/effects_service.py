"""An append-only consumer for fault tests: every handled event appends one row to `effects`.

A real service (`create_service_app`, run by uvicorn like the others) whose handler inserts a row
into a table without unique constraints, in the transaction that also records the event in the
inbox. An event applied twice would show as two rows, which an idempotent projection would hide.
"""

from __future__ import annotations

import asyncio
import os
from functools import lru_cache

from fastapi import FastAPI
from pydantic_settings import SettingsConfigDict
from sqlalchemy import BigInteger, Column, DateTime, Identity, Integer, Table, Text, insert, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import create_async_engine

from clinic_common.app import ServiceSpec, create_service_app
from clinic_common.clock import Clock
from clinic_common.db import PlatformTables, make_metadata
from clinic_common.events.catalog import type_of
from clinic_common.events.consumer import HandlerContext
from clinic_common.events.payloads.records import PatientRegistered, PatientUpdated
from clinic_common.settings import ServiceSettings, to_asyncpg_url

metadata = make_metadata()
platform = PlatformTables(metadata)
effects = Table(
    "effects",
    metadata,
    Column("serial", BigInteger, Identity(always=True), primary_key=True),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("type", Text, nullable=False),
    Column("aggregate_id", Text, nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("handled_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
)

CONSUMED = (type_of(PatientRegistered), type_of(PatientUpdated))


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EFFECTS_", extra="ignore", populate_by_name=True)

    service_name: str = "effects"
    handler_delay_seconds: float = 0.0  # how long each event takes, to land a kill mid-batch


@lru_cache
def get_settings() -> Settings:
    return Settings()


async def prepare_database(url: str) -> None:
    """Create the platform tables and `effects` in an empty database."""
    engine = create_async_engine(to_asyncpg_url(url))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
    finally:
        await engine.dispose()


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()
    delay = settings.handler_delay_seconds

    async def append(ctx: HandlerContext) -> None:
        if delay:
            await asyncio.sleep(delay)
        await ctx.session.execute(
            insert(effects).values(
                event_id=ctx.envelope.id,
                type=ctx.envelope.type,
                aggregate_id=ctx.envelope.subject,
                sequence=ctx.envelope.sequence,
                pid=os.getpid(),
            )
        )

    return create_service_app(
        ServiceSpec(
            name="effects",
            title="Effects (fault tests)",
            settings=settings,
            platform=platform,
            routers=[],
            handlers=dict.fromkeys(CONSUMED, append),
        ),
        clock=clock,
    )
