"""Queries of the organization projection."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from clinic_common.db import RepositoryBase
from clinic_common.errors import UnknownEntity
from clinic_common.policy import policy_in_force

from billing.organization.domain import BillingPolicy
from billing.organization.models import OrganizationProjection


class OrganizationRepository(RepositoryBase[OrganizationProjection]):
    model = OrganizationProjection

    async def known(self, organization_id: UUID) -> OrganizationProjection:
        """The organization as learned from scheduling, or 422 `organization_unknown` (clients retry)."""
        org = await self.get(organization_id)
        if org is None:
            raise UnknownEntity("organization", organization_id)
        return org


def policy_of(org: OrganizationProjection, on: date) -> BillingPolicy:
    """ORG-3: the billing side of the organization's policy version in force on the local date `on`."""
    policy = policy_in_force(org.policy_versions or [], on, org.policy or {})
    return BillingPolicy.of(org.country, org.currency, org.time_zone, policy)
