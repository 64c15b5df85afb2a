"""Queries of the organization module."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from clinic_common.db import RepositoryBase

from scheduling.organization.models import Branch, Organization

# Branches and policy versions are lazy="raise": load them with the organization.
_FULL = (selectinload(Organization.branches), selectinload(Organization.policy_versions))


class OrganizationRepository(RepositoryBase[Organization]):
    model = Organization

    async def get_full(self, organization_id: UUID) -> Organization | None:
        """The organization with its branches and policy versions loaded."""
        stmt = select(Organization).where(Organization.id == organization_id).options(*_FULL)
        return await self.one_or_none(stmt)

    async def page_full(self, *, limit: int, after: UUID | None) -> Sequence[Organization]:
        stmt = select(Organization).options(*_FULL)
        return await self.page(stmt, limit=limit, key_column=Organization.id, after=after)

    async def branch(self, branch_id: UUID) -> Branch | None:
        return await self.session.get(Branch, branch_id)

    async def branches(self, branch_ids: Sequence[UUID]) -> Sequence[Branch]:
        if not branch_ids:
            return []
        return (await self.session.execute(select(Branch).where(Branch.id.in_(branch_ids)))).scalars().all()
