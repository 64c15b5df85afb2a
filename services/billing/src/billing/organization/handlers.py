"""Keeps the organization projection current from scheduling's `organization.upserted`."""

from __future__ import annotations

from clinic_common.events.catalog import type_of
from clinic_common.events.consumer import Handler, HandlerContext
from clinic_common.events.payloads.scheduling import OrganizationUpserted
from clinic_common.events.projection import upsert_projection

from billing.organization.models import OrganizationProjection


async def on_organization_upserted(ctx: HandlerContext) -> None:
    data = ctx.data(OrganizationUpserted)
    await upsert_projection(
        ctx.session,
        OrganizationProjection.__table__,  # type: ignore[arg-type]
        {
            "id": data.id,
            "name": data.name,
            "country": data.country,
            "currency": data.currency,
            "time_zone": data.time_zone,
            "policy": data.policy,
        },
        ctx.envelope,
    )


HANDLERS: dict[str, Handler] = {type_of(OrganizationUpserted): on_organization_upserted}
