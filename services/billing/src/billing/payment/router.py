"""HTTP layer of payments (BIL-4, BIL-5, BIL-7)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.db import SessionDep
from clinic_common.idempotency import IdempotencyDep
from clinic_common.money import Currency, Money, MoneyModel, SignedMoneyModel
from clinic_common.openapi import problems, unknown_entity

from billing import access
from billing.fiscal.models import FiscalDocument
from billing.invoice.domain import InvoiceNotFound, InvoiceNotOpen
from billing.invoice.models import Invoice
from billing.invoice.views import time_zone_of, zoned
from billing.payment import service
from billing.payment.domain import AmountMismatch, AmountNotPositive, CurrencyMismatch, PaymentNotFound
from billing.payment.models import Payment
from billing.payment.schemas import PaymentCreate, PaymentRead, ReceiptRead
from billing.pricelist.domain import CurrencyNotAccepted

router = APIRouter(tags=["payments"])

CashierDep = Annotated[Principal, access.TAKE_PAYMENT.dependency()]
ReaderDep = Annotated[Principal, access.READ_INVOICES.dependency()]


async def payment_read(
    session: AsyncSession, payment: Payment, invoice: Invoice, doc: FiscalDocument | None
) -> PaymentRead:
    cur = Currency(payment.currency)
    tz = await time_zone_of(session, payment.organization_id)
    return PaymentRead(
        id=payment.id,
        invoice_id=payment.invoice_id,
        patient_id=payment.patient_id,
        amount=MoneyModel.of(Money(payment.amount_minor, cur)),
        method=payment.method,
        applied=MoneyModel.of(Money(payment.applied_minor, cur)),
        credited=MoneyModel.of(Money(payment.credited_minor, cur)),
        refunded=MoneyModel.of(Money(payment.refunded_minor, cur)),
        balance_due=SignedMoneyModel.of(Money(invoice.balance_due_minor, Currency(invoice.currency))),
        settlement=payment.settlement,
        paid_by=payment.paid_by,
        receipt=ReceiptRead(
            number=payment.receipt_number,
            issued_at=zoned(payment.issued_at, tz) or payment.issued_at,
            fiscal_document_id=doc.id if doc else None,
            fiscal_status=doc.status if doc else None,
        ),
    )


PAY_PROBLEMS = problems(
    InvoiceNotFound,
    InvoiceNotOpen,
    AmountNotPositive,
    CurrencyNotAccepted,
    CurrencyMismatch,
    AmountMismatch,
    unknown_entity("organization"),
)


@router.post("/v1/payments", status_code=201, response_model=PaymentRead, responses=PAY_PROBLEMS)
async def pay(
    request: Request,
    body: PaymentCreate,
    session: SessionDep,
    principal: CashierDep,
    idem: IdempotencyDep,
) -> JSONResponse:
    """BIL-4/BIL-5/BIL-7: money against an invoice with a receipt numbered in sequence; the
    Idempotency-Key is required (400 `idempotency_key_required`). Emits `payment.captured`."""

    async def run() -> BaseModel:
        payment, invoice, doc = await service.capture(session, principal, body, request.app.state.clock.now())
        return await payment_read(session, payment, invoice, doc)

    return await idem.run(run, principal_subject=principal.subject, required=True)


@router.get("/v1/payments/{payment_id}", response_model=PaymentRead, responses=problems(PaymentNotFound))
async def read_payment(payment_id: UUID, session: SessionDep, principal: ReaderDep) -> PaymentRead:
    payment = await session.get(Payment, payment_id)
    invoice = await session.get(Invoice, payment.invoice_id) if payment else None
    if (
        payment is None
        or invoice is None
        or not access.can(access.READ_INVOICES, principal, invoice.organization_id, invoice.patient_id)
    ):
        raise PaymentNotFound()
    doc = await session.scalar(
        select(FiscalDocument).where(
            FiscalDocument.ref_type == "payment", FiscalDocument.ref_id == payment.id
        )
    )
    return await payment_read(session, payment, invoice, doc)
