"""Learns the service catalogue from billing's `service.upserted`."""

from __future__ import annotations

from clinic_common.events.catalog import type_of
from clinic_common.events.consumer import Handler, HandlerContext
from clinic_common.events.payloads.billing import ServiceUpserted
from clinic_common.events.projection import upsert_projection

from scheduling.catalog.models import ServiceProjection


async def on_service_upserted(ctx: HandlerContext) -> None:
    data = ctx.data(ServiceUpserted)
    await upsert_projection(
        ctx.session,
        ServiceProjection.__table__,  # type: ignore[arg-type]
        data.model_dump(include=set(ServiceProjection.__table__.columns.keys())),
        ctx.envelope,
    )


HANDLERS: dict[str, Handler] = {type_of(ServiceUpserted): on_service_upserted}
