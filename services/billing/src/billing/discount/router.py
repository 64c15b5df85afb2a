"""HTTP layer of discounts (BIL-11)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request

from clinic_common.auth import OrganizationForbidden, Principal
from clinic_common.db import SessionDep
from clinic_common.openapi import problems, unknown_entity

from billing import access
from billing.discount import service
from billing.discount.domain import (
    DiscountNotFound,
    DiscountNotPending,
    DiscountPercentInvalid,
    IndividualDiscountIncomplete,
    PromotionPeriodRequired,
    SocialDiscountForbidden,
)
from billing.discount.models import Discount
from billing.discount.schemas import DiscountCreate, DiscountKind, DiscountRead

router = APIRouter(tags=["discounts"])

CreatorDep = Annotated[Principal, access.CREATE_DISCOUNT.dependency()]
ApproverDep = Annotated[Principal, access.APPROVE_DISCOUNT.dependency()]


def to_read(d: Discount) -> DiscountRead:
    return DiscountRead(
        id=d.id,
        organization_id=d.organization_id,
        kind=DiscountKind(d.kind),
        basis=d.basis,
        percent=f"{d.percent:.2f}",
        service_codes=d.service_codes,
        valid_from=d.valid_from,
        valid_to=d.valid_to,
        patient_id=d.patient_id,
        application_ref=d.application_ref,
        approved_by=d.approved_by,
        status=d.status,
        created_at=d.created_at,
    )


@router.post(
    "/v1/discounts",
    status_code=201,
    response_model=DiscountRead,
    responses=problems(
        OrganizationForbidden,
        unknown_entity("organization"),
        unknown_entity("patient"),
        SocialDiscountForbidden,
        DiscountPercentInvalid,
        PromotionPeriodRequired,
        IndividualDiscountIncomplete,
    ),
)
async def create_discount(
    request: Request, body: DiscountCreate, session: SessionDep, principal: CreatorDep
) -> DiscountRead:
    """A promotion (period, services) or an individual discount (application, director's
    approval); a social basis is refused, 422 `social_discount_forbidden` (BIL-11)."""
    return to_read(await service.create(session, principal, body, request.app.state.clock.now()))


@router.post(
    "/v1/discounts/{discount_id}/approve",
    response_model=DiscountRead,
    responses=problems(DiscountNotFound, DiscountNotPending),
)
async def approve_discount(discount_id: UUID, session: SessionDep, principal: ApproverDep) -> DiscountRead:
    """BIL-11: the general director approves an individual discount."""
    return to_read(await service.approve(session, principal, discount_id))
