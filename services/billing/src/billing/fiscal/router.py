"""Fiscal documents: reading them, and correction receipts with their basis."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from clinic_common.auth import Principal
from clinic_common.db import SessionDep
from clinic_common.money import Currency, Money, MoneyModel
from clinic_common.openapi import problems
from clinic_common.schemas import LocalDate, RequestModel

from billing import access
from billing.fiscal import service
from billing.fiscal.domain import (
    Buyer,
    Correction,
    CorrectionNotAllowed,
    FiscalDocumentNotFound,
    Operation,
    Paid,
    PaymentType,
    Position,
    Settlement,
)
from billing.fiscal.models import FiscalDocument

router = APIRouter(tags=["fiscal documents"])

ReaderDep = Annotated[Principal, access.READ_FISCAL.dependency()]
CorrectorDep = Annotated[Principal, access.CORRECT_FISCAL.dependency()]


class FiscalDocumentRead(BaseModel):
    id: UUID
    operation: str
    settlement: str
    total: MoneyModel
    ref_type: str
    ref_id: UUID
    enrollment_id: UUID | None
    corrects_id: UUID | None
    status: str
    fiscal_register: str | None
    fiscal_number: str | None
    fiscal_sign: str | None
    registered_at: datetime | None
    error: str | None
    payload: dict[str, Any]


class CorrectionBasis(StrEnum):
    SELF = "self"  # on the organization's own initiative
    ORDER = "order"  # on an order of the tax authority


class CorrectionCreate(RequestModel):
    basis: CorrectionBasis
    basis_date: LocalDate
    basis_number: str | None = Field(default=None, min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=300, pattern=r"\S")


def read(d: FiscalDocument) -> FiscalDocumentRead:
    return FiscalDocumentRead(
        id=d.id,
        operation=d.operation,
        settlement=d.settlement,
        total=MoneyModel.of(Money(d.total_minor, Currency(d.currency))),
        ref_type=d.ref_type,
        ref_id=d.ref_id,
        enrollment_id=d.enrollment_id,
        corrects_id=d.corrects_id,
        status=d.status,
        fiscal_register=d.register,
        fiscal_number=d.fiscal_number,
        fiscal_sign=d.fiscal_sign,
        registered_at=d.registered_at,
        error=d.error,
        payload=dict(d.payload),
    )


class FiscalDocumentPage(BaseModel):
    items: list[FiscalDocumentRead]
    next_cursor: str | None = None


@router.get("/v1/fiscal-documents", response_model=FiscalDocumentPage, responses=problems())
async def list_documents(
    session: SessionDep,
    principal: ReaderDep,
    ref_id: Annotated[UUID | None, Query(description="A payment, refund or usage")] = None,
    enrollment_id: Annotated[UUID | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[UUID | None, Query()] = None,
) -> FiscalDocumentPage:
    stmt = select(FiscalDocument).order_by(FiscalDocument.id).limit(limit + 1)
    if cursor is not None:
        stmt = stmt.where(FiscalDocument.id > cursor)
    if principal.org_id is not None:
        stmt = stmt.where(FiscalDocument.organization_id == principal.org_id)
    if ref_id is not None:
        stmt = stmt.where(FiscalDocument.ref_id == ref_id)
    if enrollment_id is not None:
        stmt = stmt.where(FiscalDocument.enrollment_id == enrollment_id)
    rows = list((await session.execute(stmt)).scalars())
    more = len(rows) > limit
    return FiscalDocumentPage(
        items=[read(d) for d in rows[:limit]], next_cursor=str(rows[limit - 1].id) if more else None
    )


@router.get(
    "/v1/fiscal-documents/{document_id}",
    response_model=FiscalDocumentRead,
    responses=problems(FiscalDocumentNotFound),
)
async def read_document(document_id: UUID, session: SessionDep, principal: ReaderDep) -> FiscalDocumentRead:
    d = await session.get(FiscalDocument, document_id)
    if d is None or not access.can(access.READ_FISCAL, principal, d.organization_id):
        raise FiscalDocumentNotFound()
    return read(d)


@router.post(
    "/v1/fiscal-documents/{document_id}/corrections",
    status_code=201,
    response_model=FiscalDocumentRead,
    responses=problems(FiscalDocumentNotFound, CorrectionNotAllowed),
)
async def correct(
    request: Request, document_id: UUID, body: CorrectionCreate, session: SessionDep, principal: CorrectorDep
) -> FiscalDocumentRead:
    """A correction receipt fixes a wrong registered one, naming its basis (own initiative or the
    tax authority's order, with its date and number); once per document."""
    d = await session.get(FiscalDocument, document_id, with_for_update=True)
    if d is None or not access.can(access.CORRECT_FISCAL, principal, d.organization_id):
        raise FiscalDocumentNotFound()
    already = await session.scalar(
        select(FiscalDocument.id).where(FiscalDocument.source == f"correction:{d.id}")
    )
    if (
        already is not None
        or d.status != "registered"
        or d.operation not in (Operation.SALE, Operation.SALE_REFUND)
    ):
        raise CorrectionNotAllowed()
    cur = Currency(d.currency)
    payload: dict[str, Any] = dict(d.payload)
    positions = [
        Position(
            str(p["name"]),
            int(p["quantity"]),
            Money.from_decimal_string(str(p["price"]), cur),
            Money.from_decimal_string(str(p["amount"]), cur),
            Settlement(str(p.get("settlement_method") or p.get("settlement"))),
            str(p.get("service_code", "")),
            p.get("national_catalogue_code"),
        )
        for p in payload["positions"]
    ]
    payments = [
        Paid(PaymentType(str(x["type"])), Money.from_decimal_string(str(x["amount"]), cur))
        for x in payload["payments"]
    ]
    op = Operation.SALE_CORRECTION if d.operation == Operation.SALE else Operation.SALE_REFUND_CORRECTION
    fixed = await service.issue(
        session,
        organization_id=d.organization_id,
        country=d.country,
        operation=op,
        positions=positions,
        payments=payments,
        buyer=Buyer(),
        ref_type="correction",
        ref_id=d.id,
        source=f"correction:{d.id}",
        now=request.app.state.clock.now(),
        enrollment_id=d.enrollment_id,
        correction=Correction(body.basis.value, body.basis_number, body.basis_date.isoformat(), str(d.id)),
        corrects_id=d.id,
    )
    return read(fixed)
