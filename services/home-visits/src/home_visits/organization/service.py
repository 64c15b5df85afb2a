"""Reading the organization projection for the rules (ORG-1, ORG-3, HV-3, HV-10)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.calendar import Country, local_date
from clinic_common.errors import UnknownEntity
from clinic_common.policy import policy_in_force

from home_visits.organization.domain import HomeVisitPolicy, parse_policy
from home_visits.organization.models import OrganizationProjection


@dataclass(frozen=True)
class OrganizationContext:
    id: UUID
    country: Country
    time_zone: str
    policy_versions: list[dict[str, Any]]
    current_policy: dict[str, Any]

    def policy_on(self, day: date) -> HomeVisitPolicy:
        """ORG-3: the version in force on the local `day`."""
        return parse_policy(policy_in_force(self.policy_versions, day, self.current_policy))

    def today(self, now: datetime) -> date:
        return local_date(now, self.time_zone)


async def load_organization(session: AsyncSession, organization_id: UUID) -> OrganizationContext:
    """422 `organization_unknown` until scheduling's `organization.upserted` has arrived."""
    row = await session.get(OrganizationProjection, organization_id)
    if row is None:
        raise UnknownEntity("organization", organization_id)
    return OrganizationContext(
        id=row.id,
        country=Country(row.country),
        time_zone=row.time_zone,
        policy_versions=list(row.policy_versions or []),
        current_policy=dict(row.policy or {}),
    )
