"""Queries of the zone module."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import delete, select

from clinic_common.db import RepositoryBase

from home_visits.organization.models import OrganizationProjection
from home_visits.zone.models import DistanceBandRow, Zone, ZonePolicy


class ZoneRepository(RepositoryBase[Zone]):
    model = Zone

    async def of_organization(self, organization_id: UUID, *, for_update: bool = False) -> Sequence[Zone]:
        """The organization's zones: the base zone first, then branch zones in their order (HV-4)."""
        stmt = (
            select(Zone)
            .where(Zone.organization_id == organization_id)
            .order_by((Zone.kind == "branch"), Zone.order, Zone.id)
        )
        return await self.all(stmt.with_for_update() if for_update else stmt)

    async def organization(self, organization_id: UUID) -> OrganizationProjection | None:
        return await self.session.get(OrganizationProjection, organization_id)

    async def bands(self, organization_id: UUID) -> Sequence[DistanceBandRow]:
        stmt = (
            select(DistanceBandRow)
            .where(DistanceBandRow.organization_id == organization_id)
            .order_by(DistanceBandRow.upper_km)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def replace_bands(self, organization_id: UUID, rows: Sequence[DistanceBandRow]) -> None:
        await self.session.execute(
            delete(DistanceBandRow).where(DistanceBandRow.organization_id == organization_id)
        )
        self.session.add_all(rows)
        await self.session.flush()

    async def policy(self, organization_id: UUID) -> ZonePolicy | None:
        return await self.session.get(ZonePolicy, organization_id)
