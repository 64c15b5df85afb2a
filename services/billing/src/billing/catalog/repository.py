"""Queries of the service catalogue."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from sqlalchemy import select

from clinic_common.db import RepositoryBase
from clinic_common.errors import AppError

from billing.catalog.models import Service


class ServiceRepository(RepositoryBase[Service]):
    model = Service

    async def by_codes(self, organization_id: UUID, codes: Collection[str]) -> dict[str, Service]:
        """The organization's services with these codes, locked so concurrent price lists apply in turn."""
        if not codes:
            return {}
        stmt = (
            select(Service)
            .where(Service.organization_id == organization_id, Service.code.in_(codes))
            .with_for_update()
        )
        return {s.code: s for s in await self.all(stmt)}

    async def known(self, organization_id: UUID, code: str) -> Service:
        """The active catalogue service, or 422 `service_unknown`."""
        stmt = select(Service).where(Service.organization_id == organization_id, Service.code == code)
        service = await self.one_or_none(stmt)
        if service is None or not service.active:
            raise ServiceUnknown(
                f"no active service {code!r} in the organization's catalogue", service_code=code
            )
        return service


class ServiceUnknown(AppError):
    status = 422
    code = "service_unknown"
    title = "The service code is not in the organization's catalogue"
    rule = "BIL-1"
