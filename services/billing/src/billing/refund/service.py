"""Refund use cases (BIL-9): order a refund on a basis within its limit, pay it out by the
original method with a sale-refund receipt; refunds ordered by events (upheld complaints,
visits the organization cancelled) wait for the cash desk with their deadline. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.calendar import local_date
from clinic_common.events.catalog import type_of
from clinic_common.events.payloads.billing import PaymentRefunded
from clinic_common.money import Currency, Money

from billing import access
from billing.db import outbox
from billing.fiscal import service as fiscal
from billing.fiscal.domain import PAYMENT_TYPE_OF_METHOD, Operation, Paid, Position, Settlement
from billing.ids import new_id
from billing.invoice.models import Invoice, InvoiceItem
from billing.invoice.repository import InvoiceRepository
from billing.invoice.service import cancel_items, money, receivable_account, refresh_status
from billing.ledger.domain import MONEY_ACCOUNTS, Account, movement
from billing.ledger.service import post
from billing.organization.repository import OrganizationRepository
from billing.patient.models import PatientProjection
from billing.payment.domain import PaymentNotFound
from billing.payment.models import Payment
from billing.payment.repository import PaymentRepository
from billing.payment.service import buyer_of, credit_of
from billing.refund.domain import (
    ApplicationRequired,
    PaymentAlreadyRefunded,
    RefundBasis,
    RefundFacts,
    RefundNotAllowed,
    RefundNotFound,
    RefundNotPending,
    check_amount,
    refund_limit,
)
from billing.refund.models import Refund
from billing.refund.schemas import RefundCreate

ORG_CANCELLATIONS = frozenset({"absence", "clinic", "force_majeure"})
LOST_TO_PATIENT = frozenset({"late_refused", "noshow", "patient_breach"})
UNUSED = frozenset({"planned"})
RENDERED = frozenset({"rendered", "forfeited"})


def facts_for(
    payment: Payment, invoice: Invoice, items: Sequence[InvoiceItem], credit: Money, concerned: Money | None
) -> RefundFacts:
    cur = Currency(payment.currency)
    rendered = sum(i.amount_minor for i in items if i.status in RENDERED)
    return RefundFacts(
        remaining_on_payment=Money(payment.amount_minor - payment.refunded_minor, cur),
        unrendered_paid=Money(max(0, min(invoice.paid_minor, payment.applied_minor) - rendered), cur)
        if invoice.paid_minor > 0
        else Money.zero(cur),
        concerned_paid=concerned if concerned is not None else Money(max(0, invoice.paid_minor), cur),
        credit=credit,
        credited_remaining=Money(
            max(0, payment.credited_minor - max(0, payment.refunded_minor - payment.applied_minor)), cur
        ),
        lost_to_patient=(invoice.cancel_reason or "") in LOST_TO_PATIENT,
        cancelled_by_organization=(invoice.cancel_reason or "") in ORG_CANCELLATIONS,
    )


async def _order(
    session: AsyncSession,
    payment: Payment,
    invoice: Invoice,
    basis: RefundBasis,
    amount: Money,
    *,
    source: str,
    now: datetime,
    application_ref: str | None = None,
    complaint_id: UUID | None = None,
    due_on: date | None = None,
) -> Refund:
    """Record the refund and move what the patient is owed into refunds payable (BIL-7)."""
    items = await InvoiceRepository(session).items(invoice.id)
    patient = invoice.patient_id
    if basis in (RefundBasis.REFUSAL, RefundBasis.EARLY_TERMINATION, RefundBasis.CANCELLATION):
        unused = [i for i in items if i.status in UNUSED]
        if unused:
            await cancel_items(session, invoice, unused, now)
        invoice.paid_minor -= amount.amount_minor
        legs = [(receivable_account(invoice), Account.REFUNDS_PAYABLE, amount, patient)]
        excess = money(-invoice.balance_due_minor, invoice)
        if excess.is_positive():  # paid beyond what is now owed and not refunded: the patient's credit
            invoice.paid_minor -= excess.amount_minor
            legs.append((receivable_account(invoice), Account.PATIENT_ADVANCES, excess, patient))
    elif basis is RefundBasis.COMPLAINT:
        invoice.adjusted_minor += amount.amount_minor
        invoice.paid_minor -= amount.amount_minor
        legs = [(Account.REFUNDS, Account.REFUNDS_PAYABLE, amount, patient)]
    else:
        legs = [(Account.PATIENT_ADVANCES, Account.REFUNDS_PAYABLE, amount, patient)]
    refresh_status(invoice)
    payment.refunded_minor += amount.amount_minor
    refund = Refund(
        id=new_id(),
        organization_id=payment.organization_id,
        payment_id=payment.id,
        invoice_id=invoice.id,
        patient_id=patient,
        amount_minor=amount.amount_minor,
        currency=amount.currency.value,
        basis=basis.value,
        method=payment.method,
        status="pending",
        source=source,
        application_ref=application_ref,
        complaint_id=complaint_id,
        due_on=due_on,
        ordered_at=now,
    )
    session.add(refund)
    await session.flush()
    await post(
        session,
        payment.organization_id,
        movement("refund_ordered", *legs, memo=basis.value),
        ref_type="refund",
        ref_id=refund.id,
        at=now,
    )
    return refund


async def pay_out(session: AsyncSession, refund: Refund, now: datetime) -> UUID:
    """Return the money by the method of the original payment (O 11.5), with its sale-refund receipt."""
    if refund.status != "pending":
        raise RefundNotPending()
    payment = await session.get(Payment, refund.payment_id)
    assert payment is not None
    org = await OrganizationRepository(session).known(refund.organization_id)
    amount = Money(refund.amount_minor, Currency(refund.currency))
    target = Account.PATIENT_ADVANCES if refund.method == "advance" else MONEY_ACCOUNTS[refund.method]
    await post(
        session,
        org.id,
        movement("refund_paid", (Account.REFUNDS_PAYABLE, target, amount, refund.patient_id)),
        ref_type="refund",
        ref_id=refund.id,
        at=now,
    )
    refund.status = "paid"
    refund.paid_at = now
    invoice = await session.get(Invoice, refund.invoice_id)
    assert invoice is not None
    settlement = Settlement(payment.settlement)
    if refund.basis == RefundBasis.OVERPAYMENT:
        settlement = Settlement.ADVANCE
    patient = await session.get(PatientProjection, refund.patient_id)
    doc = await fiscal.issue(
        session,
        organization_id=org.id,
        country=org.country,
        operation=Operation.SALE_REFUND,
        positions=[
            Position(
                f"Возврат: {refund.basis} по чеку № {payment.receipt_number}",
                1,
                amount,
                amount,
                settlement,
                invoice.kind,
            )
        ],
        payments=[Paid(PAYMENT_TYPE_OF_METHOD[refund.method], amount)],
        buyer=buyer_of(patient),
        ref_type="refund",
        ref_id=refund.id,
        source=f"refund:{refund.id}",
        now=now,
        enrollment_id=invoice.enrollment_id if invoice.kind == "program" else None,
    )
    await session.flush()
    await _announce(session, refund, invoice, now)
    return doc.id


async def _announce(session: AsyncSession, refund: Refund, invoice: Invoice, now: datetime) -> None:
    await outbox.add(
        session,
        type=type_of(PaymentRefunded),
        aggregate_id=refund.payment_id,
        org_id=refund.organization_id,
        now=now,
        data=PaymentRefunded(
            refund_id=refund.id,
            payment_id=refund.payment_id,
            invoice_id=invoice.id,
            patient_id=refund.patient_id,
            appointment_id=invoice.appointment_id,
            organization_id=refund.organization_id,
            amount=Money(refund.amount_minor, Currency(refund.currency)).to_decimal_string(),
            currency=refund.currency,
            basis=refund.basis,
            balance_due=money(invoice.balance_due_minor, invoice).to_decimal_string(),
            status=refund.status,
            due_on=refund.due_on,
        ),
    )


async def request_refund(
    session: AsyncSession, principal: Principal, body: RefundCreate, now: datetime
) -> tuple[Refund, UUID | None]:
    """BIL-9 at the cash desk: the basis's limit, then the refund paid out at once."""
    payment = await session.get(Payment, body.payment_id, with_for_update=True)
    if payment is None:
        raise PaymentNotFound()
    invoice = await InvoiceRepository(session).locked(payment.invoice_id)
    assert invoice is not None
    access.check_can_refund(principal, invoice)
    if body.basis is RefundBasis.REFUSAL and body.application_ref is None:
        raise ApplicationRequired()
    if invoice.kind == "program" and body.basis is RefundBasis.EARLY_TERMINATION:
        from billing.program import service as programs

        refund = await programs.terminate(
            session, invoice, payment, now, patient_breach=body.patient_breach, requested=body.amount
        )
        return refund, await pay_out(session, refund, now)
    await PaymentRepository(session).lock_patient(invoice.patient_id)
    items = await InvoiceRepository(session).items(invoice.id)
    credit = await credit_of(session, payment.organization_id, invoice.patient_id, payment.currency)
    concerned: Money | None = None
    pending: Refund | None = None
    if body.basis is RefundBasis.COMPLAINT:
        if body.complaint_id is None:
            raise ApplicationRequired("a complaint refund names the upheld complaint", rule="BIL-9")
        pending = await _pending_of_complaint(session, body.complaint_id, payment.id)
        if pending is not None:  # ordered when the complaint was decided: pay it out now
            return pending, await pay_out(session, pending, now)
        raise_not_upheld(body.complaint_id)
    limit = refund_limit(
        body.basis, facts_for(payment, invoice, items, credit, concerned), patient_breach=body.patient_breach
    )
    amount = check_amount(body.amount.to_money() if body.amount else None, limit)
    refund = await _order(
        session,
        payment,
        invoice,
        body.basis,
        amount,
        source=f"request:{new_id()}",
        now=now,
        application_ref=body.application_ref,
    )
    return refund, await pay_out(session, refund, now)


def raise_not_upheld(complaint_id: UUID) -> None:
    raise RefundNotAllowed(
        "no refund was ordered for this complaint on this payment (upheld complaints order it)",
        complaint_id=str(complaint_id),
    )


async def _pending_of_complaint(session: AsyncSession, complaint_id: UUID, payment_id: UUID) -> Refund | None:
    stmt = (
        select(Refund)
        .where(
            Refund.complaint_id == complaint_id, Refund.payment_id == payment_id, Refund.status == "pending"
        )
        .with_for_update()
    )
    return (await session.execute(stmt)).scalars().first()


async def pay_pending(
    session: AsyncSession, principal: Principal, refund_id: UUID, now: datetime
) -> tuple[Refund, UUID]:
    refund = await session.get(Refund, refund_id, with_for_update=True)
    if refund is None:
        raise RefundNotFound()
    invoice = await session.get(Invoice, refund.invoice_id)
    assert invoice is not None
    if not access.can(access.REFUND, principal, invoice.organization_id):
        raise RefundNotFound()
    return refund, await pay_out(session, refund, now)


async def order_for_invoice(
    session: AsyncSession,
    invoice: Invoice,
    basis: RefundBasis,
    amount: Money | None,
    *,
    source: str,
    now: datetime,
    complaint_id: UUID | None = None,
    due_on: date | None = None,
) -> list[Refund]:
    """Refunds ordered by an event (an upheld complaint, a visit the organization cancelled): the
    amount (default: all the basis allows) spread over the invoice's payments, newest first;
    each waits at the cash desk with its deadline. Idempotent by `source`."""
    payments = (
        (
            await session.execute(
                select(Payment)
                .where(Payment.invoice_id == invoice.id)
                .order_by(Payment.id.desc())
                .with_for_update()
            )
        )
        .scalars()
        .all()
    )
    items = await InvoiceRepository(session).items(invoice.id)
    left = amount
    out: list[Refund] = []
    for payment in payments:
        key = f"{source}:{payment.id}"
        if await session.scalar(select(Refund.id).where(Refund.source == key)) is not None:
            continue
        facts = facts_for(payment, invoice, items, Money.zero(Currency(payment.currency)), None)
        try:
            limit = refund_limit(basis, facts)
        except (RefundNotAllowed, PaymentAlreadyRefunded):  # nothing left on this payment
            continue
        take = limit if left is None else min(limit, left)
        if not take.is_positive():
            break
        out.append(
            await _order(
                session,
                payment,
                invoice,
                basis,
                take,
                source=key,
                now=now,
                complaint_id=complaint_id,
                due_on=due_on,
            )
        )
        await _announce(session, out[-1], invoice, now)
        if left is not None:
            left = left - take
            if not left.is_positive():
                break
        items = await InvoiceRepository(session).items(invoice.id)
    return out


def overdue(refund: Refund, today: date) -> bool:
    """BIL-9: a refund ordered with a deadline (10 working days for a complaint) still unpaid after it."""
    return refund.status == "pending" and refund.due_on is not None and refund.due_on < today


def today_of(now: datetime, time_zone: str) -> date:
    return local_date(now, time_zone)
