"""Queries of the organization projection."""

from __future__ import annotations

from uuid import UUID

from clinic_common.db import RepositoryBase
from clinic_common.errors import UnknownEntity

from billing.organization.models import OrganizationProjection


class OrganizationRepository(RepositoryBase[OrganizationProjection]):
    model = OrganizationProjection

    async def known(self, organization_id: UUID) -> OrganizationProjection:
        """The organization as learned from scheduling, or 422 `organization_unknown` (clients retry)."""
        org = await self.get(organization_id)
        if org is None:
            raise UnknownEntity("organization", organization_id)
        return org
