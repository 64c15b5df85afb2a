"""HTTP layer of estimates, invoices and acts."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from clinic_common.auth import Principal
from clinic_common.db import SessionDep
from clinic_common.idempotency import IdempotencyDep
from clinic_common.openapi import problems, unknown_entity

from billing import access
from billing.catalog.repository import ServiceUnknown
from billing.invoice import service
from billing.invoice.domain import ExchangeRateRequired, InvoiceNotFound, InvoiceNotOpen, ItemsAfterAct
from billing.invoice.repository import InvoiceRepository
from billing.invoice.schemas import InvoiceCreate, InvoicePage, InvoiceRead, ItemsAdd
from billing.invoice.views import invoice_read, read_one, time_zone_of
from billing.payment.domain import AmountMismatch, AmountNotPositive, CurrencyMismatch, NoCredit
from billing.payment.schemas import CreditApply, PaymentRead
from billing.pricelist.domain import CurrencyNotAccepted, PriceListNotFound

router = APIRouter(tags=["invoices"])

ReaderDep = Annotated[Principal, access.READ_INVOICES.dependency()]
ItemsDep = Annotated[Principal, access.ADD_ITEMS.dependency()]
IssuerDep = Annotated[Principal, access.ISSUE_INVOICE.dependency()]
CashierDep = Annotated[Principal, access.TAKE_PAYMENT.dependency()]


@router.get("/v1/invoices", response_model=InvoicePage, responses=problems())
async def list_invoices(
    session: SessionDep,
    principal: ReaderDep,
    patient_id: Annotated[UUID | None, Query()] = None,
    appointment_id: Annotated[UUID | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[UUID | None, Query(description="`next_cursor` of the previous page")] = None,
) -> InvoicePage:
    """Estimates, invoices and acts with items, payer and status; staff see their organization's,
    a patient their own (BIL-6)."""
    scope = access.visible_patients(access.READ_INVOICES, principal)
    if scope.nothing or (scope.patient_id is not None and patient_id not in (None, scope.patient_id)):
        return InvoicePage(items=[])
    repo = InvoiceRepository(session)
    rows = list(
        await repo.page_of(
            organization_id=scope.organization_id,
            patient_id=scope.patient_id or patient_id,
            appointment_id=appointment_id,
            limit=limit,
            after=cursor,
        )
    )
    rows = [r for r in rows if access.can(access.READ_INVOICES, principal, r.organization_id, r.patient_id)]
    more = len(rows) > limit
    rows = rows[:limit]
    items = await repo.items_of([r.id for r in rows])
    tz = await time_zone_of(session, rows[0].organization_id) if rows else "UTC"
    return InvoicePage(
        items=[invoice_read(r, items[r.id], tz) for r in rows],
        next_cursor=str(rows[-1].id) if more and rows else None,
    )


@router.get("/v1/invoices/{invoice_id}", response_model=InvoiceRead, responses=problems(InvoiceNotFound))
async def read_invoice(invoice_id: UUID, session: SessionDep, principal: ReaderDep) -> InvoiceRead:
    return await read_one(session, await service.visible(session, principal, invoice_id))


@router.post(
    "/v1/invoices",
    status_code=201,
    response_model=InvoiceRead,
    responses=problems(
        unknown_entity("patient"),
        unknown_entity("organization"),
        ServiceUnknown,
        PriceListNotFound,
        ExchangeRateRequired,
    ),
)
async def create_invoice(
    request: Request, body: InvoiceCreate, session: SessionDep, principal: IssuerDep, idem: IdempotencyDep
) -> JSONResponse:
    """An invoice issued in advance (BIL-5: a foreign currency only by bank transfer against it)."""

    async def run() -> BaseModel:
        invoice = await service.create_invoice(session, principal, body, request.app.state.clock.now())
        return await read_one(session, invoice)

    return await idem.run(run, principal_subject=principal.subject)


@router.post(
    "/v1/invoices/{invoice_id}/items",
    response_model=InvoiceRead,
    responses=problems(
        InvoiceNotFound,
        InvoiceNotOpen,
        ItemsAfterAct,
        ServiceUnknown,
        PriceListNotFound,
        unknown_entity("organization"),
    ),
)
async def add_items(
    request: Request, invoice_id: UUID, body: ItemsAdd, session: SessionDep, principal: ItemsDep
) -> InvoiceRead:
    """BIL-4: services added during the visit, paid within 30 minutes of being received; BIL-3:
    emergency care marked `emergency` is free."""
    invoice = await service.add_items(session, principal, invoice_id, body, request.app.state.clock.now())
    return await read_one(session, invoice)


@router.post(
    "/v1/invoices/{invoice_id}/apply-credit",
    status_code=201,
    response_model=PaymentRead,
    responses=problems(
        InvoiceNotFound,
        InvoiceNotOpen,
        NoCredit,
        AmountMismatch,
        AmountNotPositive,
        CurrencyMismatch,
        CurrencyNotAccepted,
        unknown_entity("organization"),
    ),
)
async def apply_credit(
    request: Request,
    invoice_id: UUID,
    body: CreditApply,
    session: SessionDep,
    principal: CashierDep,
    idem: IdempotencyDep,
) -> JSONResponse:
    """BIL-4: draw on the patient's credit (an earlier overpayment) for this invoice."""
    from billing.payment import service as payments
    from billing.payment.router import payment_read

    async def run() -> BaseModel:
        payment, invoice, doc = await payments.apply_credit(
            session, principal, invoice_id, body, request.app.state.clock.now()
        )
        return await payment_read(session, payment, invoice, doc)

    return await idem.run(run, principal_subject=principal.subject)
