"""Payment use cases: capture against an invoice, draw on the patient's credit. Each takes a
receipt number, posts one balanced ledger movement, issues its fiscal document and announces
`payment.captured`. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.events.catalog import type_of
from clinic_common.events.payloads.billing import PaymentCaptured
from clinic_common.money import Currency, Money

from billing import access
from billing.catalog.models import Service
from billing.db import outbox
from billing.fiscal import service as fiscal
from billing.fiscal.domain import (
    PAYMENT_TYPE_OF_METHOD,
    Buyer,
    Operation,
    Paid,
    Position,
    Settlement,
    settlement_for,
)
from billing.fiscal.models import FiscalDocument
from billing.ids import new_id
from billing.invoice.domain import InvoiceNotFound, InvoiceNotOpen
from billing.invoice.models import Invoice, InvoiceItem
from billing.invoice.repository import InvoiceRepository
from billing.invoice.service import money, receivable_account, refresh_status
from billing.ledger.domain import MONEY_ACCOUNTS, Account, movement
from billing.ledger.repository import LedgerRepository
from billing.ledger.service import post
from billing.organization.models import OrganizationProjection
from billing.organization.repository import OrganizationRepository
from billing.patient.models import PatientProjection
from billing.payment.domain import ExcessHandling, NoCredit, PaymentMethod, check_currency, split
from billing.payment.models import Payment
from billing.payment.repository import PaymentRepository
from billing.payment.schemas import CreditApply, PaymentCreate

ADVANCE_NAME = "Аванс (предоплата) за медицинские услуги"


def buyer_of(patient: PatientProjection | None) -> Buyer:
    if patient is None:
        return Buyer()
    name = " ".join(p for p in (patient.last_name, patient.first_name, patient.middle_name) if p)
    return Buyer(phone=patient.phone, iin=patient.iin, name=name)


def positions_for(
    invoice: Invoice,
    items: Sequence[InvoiceItem],
    applied: Money,
    credited: Money,
    settlement: Settlement,
    national_codes: dict[str, str | None],
    program_name: str | None = None,
) -> list[Position]:
    """The receipt's positions: the applied amount spread over the invoice's paid lines (exactly,
    largest remainder), and any credit kept as an advance position."""
    positions: list[Position] = []
    if applied.is_positive():
        payable = [i for i in items if i.amount_minor > 0 and i.status not in ("cancelled",)]
        if invoice.kind == "program" or not payable:
            name = program_name or f"Оплата по счёту {invoice.id}"
            positions.append(Position(name, 1, applied, applied, settlement, "program"))
        else:
            shares = applied.allocate([i.amount_minor for i in payable])
            for item, share in zip(payable, shares, strict=True):
                if share.is_positive():
                    unit = Money(share.amount_minor // item.quantity, share.currency)
                    qty = item.quantity if unit * item.quantity == share else 1
                    positions.append(
                        Position(
                            item.name,
                            qty,
                            share if qty == 1 else unit,
                            share,
                            settlement,
                            item.service_code,
                            national_codes.get(item.service_code),
                        )
                    )
    if credited.is_positive():
        positions.append(Position(ADVANCE_NAME, 1, credited, credited, Settlement.ADVANCE, "advance"))
    return positions


async def _record(
    session: AsyncSession,
    org: OrganizationProjection,
    invoice: Invoice,
    *,
    amount: Money,
    applied: Money,
    credited: Money,
    method: str,
    paid_by: str | None,
    taken_by: str,
    now: datetime,
) -> tuple[Payment, FiscalDocument]:
    from billing.debt import service as debts
    from billing.program import service as programs

    repo = PaymentRepository(session)
    items = await InvoiceRepository(session).items(invoice.id)
    rendered = invoice.act_issued_at is not None or any(i.status == "rendered" for i in items)
    settlement = settlement_for(invoice.kind, rendered)
    payment = Payment(
        id=new_id(),
        organization_id=org.id,
        invoice_id=invoice.id,
        patient_id=invoice.patient_id,
        amount_minor=amount.amount_minor,
        currency=amount.currency.value,
        method=method,
        applied_minor=applied.amount_minor,
        credited_minor=credited.amount_minor,
        refunded_minor=0,
        receipt_number=await repo.next_receipt_number(org.id),
        paid_by=paid_by,
        settlement=settlement.value,
        taken_by=taken_by,
        issued_at=now,
    )
    session.add(payment)
    invoice.paid_minor += applied.amount_minor
    refresh_status(invoice)
    for item in items:  # BIL-1: a service paid in advance keeps the price paid
        item.paid_price_locked = item.paid_price_locked or invoice.balance_due_minor <= 0
    await session.flush()
    source = Account.PATIENT_ADVANCES if method == "advance" else MONEY_ACCOUNTS[method]
    await post(
        session,
        org.id,
        movement(
            "payment",
            (source, receivable_account(invoice), applied, invoice.patient_id),
            (source, Account.PATIENT_ADVANCES, credited, invoice.patient_id),
            memo=f"receipt {payment.receipt_number}",
        ),
        ref_type="payment",
        ref_id=payment.id,
        at=now,
    )
    codes = {
        s.code: s.national_code for s in await _services(session, org.id, [i.service_code for i in items])
    }
    program_name = (
        await programs.program_name_of_invoice(session, invoice) if invoice.kind == "program" else None
    )
    patient = await session.get(PatientProjection, invoice.patient_id)
    doc = await fiscal.issue(
        session,
        organization_id=org.id,
        country=org.country,
        operation=Operation.SALE,
        positions=positions_for(invoice, items, applied, credited, settlement, codes, program_name),
        payments=[Paid(PAYMENT_TYPE_OF_METHOD[method], amount)],
        buyer=buyer_of(patient),
        ref_type="payment",
        ref_id=payment.id,
        source=f"payment:{payment.id}",
        now=now,
        enrollment_id=invoice.enrollment_id if invoice.kind == "program" else None,
    )
    if invoice.kind == "program" and invoice.balance_due_minor <= 0:
        await programs.activate_paid(session, invoice, now)
    if invoice.balance_due_minor <= 0:
        await debts.settle_for_invoice(session, invoice, now)
    await outbox.add(
        session,
        type=type_of(PaymentCaptured),
        aggregate_id=payment.id,
        org_id=org.id,
        now=now,
        data=PaymentCaptured(
            payment_id=payment.id,
            invoice_id=invoice.id,
            patient_id=invoice.patient_id,
            appointment_id=invoice.appointment_id,
            organization_id=org.id,
            amount=amount.to_decimal_string(),
            currency=amount.currency.value,
            balance_due=money(invoice.balance_due_minor, invoice).to_decimal_string(),
            method=method,
            receipt_number=payment.receipt_number,
            credited=credited.to_decimal_string(),
        ),
    )
    return payment, doc


async def _services(session: AsyncSession, organization_id: UUID, codes: list[str]) -> list[Service]:
    from billing.catalog.repository import ServiceRepository

    return list((await ServiceRepository(session).by_codes(organization_id, set(codes))).values())


async def capture(
    session: AsyncSession, principal: Principal, body: PaymentCreate, now: datetime
) -> tuple[Payment, Invoice, FiscalDocument]:
    """BIL-4/BIL-5/BIL-7: money against an invoice, under the invoice's row lock, so concurrent
    payments see each other: an excess is refused (422 `amount_mismatch`) or, when asked, kept as
    the patient's credit, never taken silently."""
    invoice = await InvoiceRepository(session).locked(body.invoice_id)
    if invoice is None:
        raise InvoiceNotFound()
    access.check_can_pay(principal, invoice)
    if invoice.status == "void":
        raise InvoiceNotOpen()
    org = await OrganizationRepository(session).known(invoice.organization_id)
    amount = body.amount.to_money()
    check_currency(
        body.method,
        amount.currency.value,
        organization=org.currency,
        invoice=invoice.currency,
        bank_transfer_only=invoice.bank_transfer_only,
    )
    applied, credited = split(amount, money(invoice.balance_due_minor, invoice), body.excess)
    if credited.is_positive():
        await PaymentRepository(session).lock_patient(invoice.patient_id)
    payment, doc = await _record(
        session,
        org,
        invoice,
        amount=amount,
        applied=applied,
        credited=credited,
        method=body.method.value,
        paid_by=body.paid_by,
        taken_by=principal.subject,
        now=now,
    )
    return payment, invoice, doc


async def credit_of(session: AsyncSession, organization_id: UUID, patient_id: UUID, currency: str) -> Money:
    """The patient's credit (advance) balance: what the organization owes them on account."""
    sums = await LedgerRepository(session).party_balance(
        organization_id, Account.PATIENT_ADVANCES, patient_id
    )
    return Money(-sums.get(currency, 0), Currency(currency))


async def apply_credit(
    session: AsyncSession, principal: Principal, invoice_id: UUID, body: CreditApply, now: datetime
) -> tuple[Payment, Invoice, FiscalDocument]:
    """BIL-4: a later invoice draws on the patient's credit (an earlier overpayment); the offset
    is a full-settlement receipt paid by the advance (54-FZ)."""
    invoice = await InvoiceRepository(session).locked(invoice_id)
    if invoice is None:
        raise InvoiceNotFound()
    access.check_can_pay(principal, invoice)
    if invoice.status == "void":
        raise InvoiceNotOpen()
    org = await OrganizationRepository(session).known(invoice.organization_id)
    await PaymentRepository(session).lock_patient(invoice.patient_id)
    available = await credit_of(session, org.id, invoice.patient_id, invoice.currency)
    due = money(max(invoice.balance_due_minor, 0), invoice)
    wanted = body.amount.to_money() if body.amount is not None else min(available, due)
    if body.amount is not None:
        check_currency(
            PaymentMethod.CASH if wanted.currency.value == org.currency else PaymentMethod.BANK_TRANSFER,
            wanted.currency.value,
            organization=org.currency,
            invoice=invoice.currency,
            bank_transfer_only=False,
        )
    if not wanted.is_positive() or wanted > available:
        raise NoCredit(f"credit available {available}, due {due}", available=available.to_decimal_string())
    applied, credited = split(wanted, due, ExcessHandling.REFUSE)
    payment, doc = await _record(
        session,
        org,
        invoice,
        amount=applied,
        applied=applied,
        credited=credited,
        method="advance",
        paid_by=None,
        taken_by=principal.subject,
        now=now,
    )
    return payment, invoice, doc
