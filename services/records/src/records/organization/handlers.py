"""Keeps the organization projection current from scheduling's `organization.upserted`."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.events.catalog import type_of
from clinic_common.events.consumer import Handler, HandlerContext
from clinic_common.events.payloads.scheduling import OrganizationUpserted
from clinic_common.events.projection import mirror

from records.notification.reminders import replan_for_policy
from records.organization.models import OrganizationProjection

_mirror = mirror(OrganizationProjection, OrganizationUpserted)


async def _snapshot(session: AsyncSession, organization_id: UUID) -> OrganizationProjection | None:
    """The projection before the update, detached (a column query leaves the identity map alone)."""
    o = OrganizationProjection
    row = (
        await session.execute(
            select(o.country, o.time_zone, o.policy, o.policy_versions).where(o.id == organization_id)
        )
    ).first()
    if row is None:
        return None
    return OrganizationProjection(
        id=organization_id,
        country=row.country,
        time_zone=row.time_zone,
        policy=row.policy,
        policy_versions=row.policy_versions,
    )


async def project_organization(ctx: HandlerContext) -> None:
    """The projection, then (ORG-3) the pending reminders of the visits whose lead times a newly
    published or withdrawn version changed, in the same transaction."""
    organization_id = ctx.data(OrganizationUpserted).id
    before = await _snapshot(ctx.session, organization_id)
    await _mirror(ctx)
    await replan_for_policy(ctx.session, before, organization_id, ctx.now)


HANDLERS: dict[str, Handler] = {type_of(OrganizationUpserted): project_organization}
