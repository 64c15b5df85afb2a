"""Consumer-side projections of another service's reference data, fed by `<aggregate>.upserted`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.events.envelope import EventEnvelope


async def upsert_projection(
    session: AsyncSession,
    table: Table,
    values: dict[str, Any],
    envelope: EventEnvelope,
    *,
    key: str = "id",
    version_column: str = "source_sequence",
) -> bool:
    """Insert or update one row, ignoring events older than what the projection already holds.

    The owner's per-aggregate `sequence` orders the updates, so a late redelivery of an old
    version never overwrites a newer one. Returns True when the row changed.
    """
    row = {**values, version_column: envelope.sequence}
    stmt = pg_insert(table).values(**row)
    updates = {c: stmt.excluded[c] for c in row if c != key}
    upsert = stmt.on_conflict_do_update(
        index_elements=[table.c[key]],
        set_=updates,
        where=table.c[version_column] < stmt.excluded[version_column],
    ).returning(table.c[key])
    return (await session.execute(upsert)).first() is not None
