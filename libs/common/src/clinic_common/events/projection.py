"""Consumer-side projections of another service's reference data, fed by `<aggregate>.upserted`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.events.catalog import EventPayload
from clinic_common.events.consumer import Handler, HandlerContext
from clinic_common.events.envelope import EventEnvelope


async def upsert_projection(
    session: AsyncSession,
    table: Table,
    values: dict[str, Any],
    envelope: EventEnvelope,
    *,
    key: str = "id",
    version_column: str = "source_sequence",
    version: int | None = None,
) -> bool:
    """Insert or update one row, ignoring events older than what the projection already holds.

    The owner's per-aggregate `sequence` orders the updates (or `version`, when the payload
    carries the owner's own numbering of the fact), so a late redelivery of an old version never
    overwrites a newer one. Returns True when the row changed.
    """
    row = {**values, version_column: envelope.sequence if version is None else version}
    stmt = pg_insert(table).values(**row)
    updates = {c: stmt.excluded[c] for c in row if c != key}
    upsert = stmt.on_conflict_do_update(
        index_elements=[table.c[key]],
        set_=updates,
        where=table.c[version_column] < stmt.excluded[version_column],
    ).returning(table.c[key])
    return (await session.execute(upsert)).first() is not None


def _column_value(value: Any) -> Any:
    """Nested payload models (e.g. `policy_versions`) land in a JSONB column as their JSON."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
    return value


def mirror(
    table: Any,
    payload: type[EventPayload],
    *,
    rename: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Handler:
    """A handler that copies an `upserted`-style payload into a projection table.

    Payload fields are renamed (e.g. `patient_id` -> `id`) and kept only where the table has a
    column of that name, so each service projects just the columns it declares.
    """
    target: Table = table.__table__ if hasattr(table, "__table__") else table
    names = dict(rename or {})

    async def handle(ctx: HandlerContext) -> None:
        data = ctx.data(payload)
        row = {
            names.get(field, field): _column_value(getattr(data, field)) for field in type(data).model_fields
        }
        row.update(extra or {})
        values = {k: v for k, v in row.items() if k in target.c and k != "source_sequence"}
        await upsert_projection(ctx.session, target, values, ctx.envelope)

    return handle
