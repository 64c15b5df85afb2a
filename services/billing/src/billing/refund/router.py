"""HTTP layer of refunds (BIL-9)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.calendar import local_date
from clinic_common.db import SessionDep
from clinic_common.idempotency import IdempotencyDep
from clinic_common.money import Currency, Money, MoneyModel
from clinic_common.openapi import problems, unknown_entity

from billing import access
from billing.invoice.views import time_zone_of, zoned
from billing.payment.domain import PaymentNotFound
from billing.program.domain import EnrollmentNotActive
from billing.refund import service
from billing.refund.domain import (
    ApplicationRequired,
    PaymentAlreadyRefunded,
    RefundBasis,
    RefundNotAllowed,
    RefundNotFound,
    RefundNotPending,
)
from billing.refund.models import Refund
from billing.refund.schemas import RefundCreate, RefundPage, RefundRead

router = APIRouter(tags=["refunds"])

RefundDep = Annotated[Principal, access.REFUND.dependency()]


async def refund_read(session: AsyncSession, r: Refund, fiscal_id: UUID | None, now: object) -> RefundRead:
    from datetime import datetime

    tz = await time_zone_of(session, r.organization_id)
    assert isinstance(now, datetime)
    return RefundRead(
        id=r.id,
        payment_id=r.payment_id,
        invoice_id=r.invoice_id,
        patient_id=r.patient_id,
        amount=MoneyModel.of(Money(r.amount_minor, Currency(r.currency))),
        basis=RefundBasis(r.basis),
        method=r.method,
        status=r.status,
        due_on=r.due_on,
        overdue=service.overdue(r, local_date(now, tz)),
        application_ref=r.application_ref,
        complaint_id=r.complaint_id,
        ordered_at=zoned(r.ordered_at, tz) or r.ordered_at,
        paid_at=zoned(r.paid_at, tz),
        fiscal_document_id=fiscal_id,
    )


@router.post(
    "/v1/refunds",
    status_code=201,
    response_model=RefundRead,
    responses=problems(
        PaymentNotFound,
        PaymentAlreadyRefunded,
        RefundNotAllowed,
        ApplicationRequired,
        RefundNotPending,
        EnrollmentNotActive,
        unknown_entity("organization"),
    ),
)
async def create_refund(
    request: Request, body: RefundCreate, session: SessionDep, principal: RefundDep, idem: IdempotencyDep
) -> JSONResponse:
    """BIL-9: refund on a basis within its limit, paid out by the original method with a
    sale-refund receipt; the Idempotency-Key is required. Emits `payment.refunded`."""

    async def run() -> BaseModel:
        now = request.app.state.clock.now()
        refund, fiscal_id = await service.request_refund(session, principal, body, now)
        return await refund_read(session, refund, fiscal_id, now)

    return await idem.run(run, principal_subject=principal.subject, required=True)


@router.get("/v1/refunds", response_model=RefundPage, responses=problems())
async def list_refunds(
    request: Request,
    session: SessionDep,
    principal: RefundDep,
    status: Annotated[str | None, Query(pattern="^(pending|paid)$")] = None,
    overdue: Annotated[bool, Query(description="Only refunds past their deadline (BIL-9)")] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[UUID | None, Query()] = None,
) -> RefundPage:
    """Refunds of the organization; ordered ones wait at the cash desk with their deadline."""
    now = request.app.state.clock.now()
    stmt = select(Refund).order_by(Refund.id).limit(limit + 1)
    if principal.org_id is not None:
        stmt = stmt.where(Refund.organization_id == principal.org_id)
    if status is not None:
        stmt = stmt.where(Refund.status == status)
    if overdue:
        stmt = stmt.where(Refund.status == "pending", Refund.due_on.is_not(None))
    if cursor is not None:
        stmt = stmt.where(Refund.id > cursor)
    rows = list((await session.execute(stmt)).scalars())
    more = len(rows) > limit
    reads = [await refund_read(session, r, None, now) for r in rows[:limit]]
    if overdue:
        reads = [r for r in reads if r.overdue]
    return RefundPage(items=reads, next_cursor=str(rows[limit - 1].id) if more else None)


@router.post(
    "/v1/refunds/{refund_id}/pay",
    response_model=RefundRead,
    responses=problems(RefundNotFound, RefundNotPending, unknown_entity("organization")),
)
async def pay_refund(
    request: Request, refund_id: UUID, session: SessionDep, principal: RefundDep
) -> RefundRead:
    """Pay out an ordered refund (an upheld complaint's, a cancelled visit's) by the original method."""
    now = request.app.state.clock.now()
    refund, fiscal_id = await service.pay_pending(session, principal, refund_id, now)
    return await refund_read(session, refund, fiscal_id, now)
