"""Keeps the organization and branch projections current from scheduling's `organization.upserted`."""

from __future__ import annotations

from sqlalchemy import update

from clinic_common.events.catalog import type_of
from clinic_common.events.consumer import Handler, HandlerContext
from clinic_common.events.payloads.scheduling import OrganizationUpserted
from clinic_common.events.projection import upsert_projection

from home_visits.organization.models import BranchProjection, OrganizationProjection


async def on_organization_upserted(ctx: HandlerContext) -> None:
    data = ctx.data(OrganizationUpserted)
    changed = await upsert_projection(
        ctx.session,
        OrganizationProjection.__table__,  # type: ignore[arg-type]
        {
            "id": data.id,
            "name": data.name,
            "country": data.country,
            "currency": data.currency,
            "time_zone": data.time_zone,
            "policy": data.policy,
            "policy_versions": [v.model_dump(mode="json") for v in data.policy_versions],
        },
        ctx.envelope,
    )
    if not changed:  # an older or repeated version: the branches we hold are at least as new
        return
    for branch in data.branches:
        await upsert_projection(
            ctx.session,
            BranchProjection.__table__,  # type: ignore[arg-type]
            {
                "id": branch.id,
                "organization_id": data.id,
                "name": branch.name,
                "address": branch.address,
                "time_zone": branch.time_zone,
                "lat": branch.lat,
                "lon": branch.lon,
                "active": True,
            },
            ctx.envelope,
        )
    # The event lists the branches now in force: any other branch of the organization is gone.
    await ctx.session.execute(
        update(BranchProjection)
        .where(
            BranchProjection.organization_id == data.id,
            BranchProjection.id.not_in([b.id for b in data.branches]),
        )
        .values(active=False, source_sequence=ctx.envelope.sequence)
    )


HANDLERS: dict[str, Handler] = {type_of(OrganizationUpserted): on_organization_upserted}
