"""Writing events into the outbox in the same transaction as the state change."""

from __future__ import annotations

import json
from datetime import datetime
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import func, insert, literal_column, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.context import causation_id_var, correlation_id_var
from clinic_common.db.platform import PlatformTables
from clinic_common.events.envelope import EventEnvelope, new_event_id
from clinic_common.observability import inject_headers

NOTIFY_CHANNEL = "clinic_outbox"


class Outbox:
    """The service's outbox: `add` is the only way a service emits an event."""

    def __init__(self, platform: PlatformTables, source: str) -> None:
        self.platform = platform
        self.source = source

    async def next_sequence(self, session: AsyncSession, aggregate_type: str, aggregate_id: str) -> int:
        """Per-aggregate increasing sequence; the row lock orders concurrent writers of one aggregate."""
        t = self.platform.aggregate_sequences
        stmt = (
            pg_insert(t)
            .values(aggregate_type=aggregate_type, aggregate_id=aggregate_id, last_sequence=1)
            .on_conflict_do_update(
                index_elements=[t.c.aggregate_type, t.c.aggregate_id],
                set_={"last_sequence": t.c.last_sequence + 1},
            )
            .returning(t.c.last_sequence)
        )
        return int((await session.execute(stmt)).scalar_one())

    async def add(
        self,
        session: AsyncSession,
        *,
        type: str,
        aggregate_id: UUID | str,
        data: BaseModel,
        now: datetime,
        org_id: UUID | None = None,
        headers: dict[str, str] | None = None,
    ) -> EventEnvelope:
        aggregate = type.split(".")[2]
        sequence = await self.next_sequence(session, aggregate, str(aggregate_id))
        envelope = EventEnvelope(
            id=new_event_id(),
            type=type,
            source=self.source,
            subject=str(aggregate_id),
            time=now,
            orgid=org_id,
            correlationid=correlation_id_var.get(),
            causationid=causation_id_var.get(),
            sequence=sequence,
            data=json.loads(data.model_dump_json()),
        )
        await session.execute(
            insert(self.platform.outbox).values(
                id=envelope.id,
                type=type,
                aggregate_type=aggregate,
                aggregate_id=str(aggregate_id),
                sequence=sequence,
                envelope=json.loads(envelope.model_dump_json()),
                headers=inject_headers(dict(headers or {})),  # trace context travels with the event
            )
        )
        await notify_relay(session)
        return envelope


async def notify_relay(session: AsyncSession) -> None:
    """Wake the relay; delivered at commit, so it wakes only for committed rows."""
    await session.execute(select(func.pg_notify(literal_column(f"'{NOTIFY_CHANNEL}'"), "")))
