"""Discount use cases (BIL-11). Never commits."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal

from billing import access
from billing.discount.domain import (
    DiscountNotFound,
    DiscountNotPending,
    IndividualDiscountIncomplete,
    check_basis,
    check_percent,
    check_promotion_period,
)
from billing.discount.models import Discount
from billing.discount.schemas import DiscountCreate, DiscountKind
from billing.organization.repository import OrganizationRepository
from billing.patient.repository import PatientRepository


async def create(
    session: AsyncSession, principal: Principal, body: DiscountCreate, now: datetime
) -> Discount:
    """BIL-11: every discount names its basis, never a social one; a promotion is time-limited and
    set by the director; an individual discount follows the patient's application with documents
    and is active once the general director approves it."""
    access.check_org(access.CREATE_DISCOUNT, principal, body.organization_id)
    await OrganizationRepository(session).known(body.organization_id)
    check_basis(body.basis)
    percent = Decimal(body.percent)
    check_percent(percent)
    director = access.check_director_for_promotion(principal)
    approved_by: str | None
    if body.kind is DiscountKind.PROMOTION:
        check_promotion_period(body.valid_from, body.valid_to)
        if not director:
            access.check_org(access.APPROVE_DISCOUNT, principal, body.organization_id)
        status, approved_by = "active", body.approved_by or principal.subject
    else:
        if body.patient_id is None or body.application_ref is None:
            raise IndividualDiscountIncomplete()
        patient = await PatientRepository(session).known(body.patient_id)
        if patient.organization_id != body.organization_id:
            raise IndividualDiscountIncomplete("the patient is not of this organization")
        status = "active" if director else "pending_approval"
        approved_by = (body.approved_by or principal.subject) if director else None
    discount = Discount(
        id=uuid.uuid4(),
        organization_id=body.organization_id,
        kind=body.kind.value,
        basis=body.basis,
        percent=percent,
        service_codes=sorted(set(body.service_codes)) if body.service_codes else None,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
        patient_id=body.patient_id,
        application_ref=body.application_ref,
        approved_by=approved_by,
        status=status,
        created_by=principal.subject,
        created_at=now,
    )
    session.add(discount)
    await session.flush()
    return discount


async def approve(session: AsyncSession, principal: Principal, discount_id: uuid.UUID) -> Discount:
    """BIL-11: the general director approves an individual discount (O 12.3)."""
    discount = await session.get(Discount, discount_id, with_for_update=True)
    if discount is None or not access.can(access.APPROVE_DISCOUNT, principal, discount.organization_id):
        raise DiscountNotFound()
    if discount.status != "pending_approval":
        raise DiscountNotPending()
    discount.status = "active"
    discount.approved_by = principal.subject
    await session.flush()
    return discount
