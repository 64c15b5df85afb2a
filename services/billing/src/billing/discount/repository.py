"""Queries of discounts."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import or_, select

from clinic_common.db import RepositoryBase

from billing.discount.domain import DiscountTerms
from billing.discount.models import Discount


def terms_of(d: Discount) -> DiscountTerms:
    return DiscountTerms(
        id=d.id,
        kind=d.kind,
        percent=d.percent,
        service_codes=frozenset(d.service_codes) if d.service_codes is not None else None,
        valid_from=d.valid_from,
        valid_to=d.valid_to,
        patient_id=d.patient_id,
        active=d.status == "active",
    )


class DiscountRepository(RepositoryBase[Discount]):
    model = Discount

    async def candidates(self, organization_id: UUID, patient_id: UUID) -> list[DiscountTerms]:
        """Active promotions of the organization and the patient's approved individual discounts."""
        stmt = select(Discount).where(
            Discount.organization_id == organization_id,
            Discount.status == "active",
            or_(Discount.kind == "promotion", Discount.patient_id == patient_id),
        )
        return [terms_of(d) for d in await self.all(stmt)]
