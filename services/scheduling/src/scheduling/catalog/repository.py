"""Queries of the service projection."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select

from clinic_common.db import RepositoryBase
from clinic_common.errors import AppError

from scheduling.catalog.models import ServiceProjection


class ServiceUnknown(AppError):
    status = 422
    code = "service_unknown"
    title = "The service code is not known to scheduling yet"


class ServiceRepository(RepositoryBase[ServiceProjection]):
    model = ServiceProjection

    async def known(self, organization_id: UUID, code: str) -> ServiceProjection:
        service = await self.one_or_none(
            select(ServiceProjection).where(
                ServiceProjection.organization_id == organization_id,
                ServiceProjection.code == code,
                ServiceProjection.active.is_(True),
            )
        )
        if service is None:
            raise ServiceUnknown(f"service {code} is not known here yet; retry shortly", service_code=code)
        return service
