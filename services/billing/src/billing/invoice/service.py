"""Invoice use cases: estimates from bookings, items added during the visit, acts, invoices issued
in advance; every charge is posted to the ledger. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.calendar import local_date
from clinic_common.events.catalog import type_of
from clinic_common.events.payloads.billing import InvoiceIssued
from clinic_common.money import Currency, Money

from billing import access
from billing.catalog.models import Service
from billing.catalog.repository import ServiceRepository
from billing.db import outbox
from billing.discount.repository import DiscountRepository
from billing.ids import new_id
from billing.invoice.domain import (
    ExchangeRateRequired,
    InvoiceNotFound,
    InvoiceNotOpen,
    ItemsAfterAct,
    Payer,
    PayerKind,
    convert,
    extra_item_due,
    price_line,
    status_of,
)
from billing.invoice.models import Invoice, InvoiceItem
from billing.invoice.repository import InvoiceRepository
from billing.invoice.schemas import InvoiceCreate, ItemsAdd
from billing.ledger.domain import RECEIVABLES_OF_PAYER, Account, movement
from billing.ledger.service import post
from billing.organization.models import OrganizationProjection
from billing.organization.repository import OrganizationRepository, policy_of
from billing.patient.repository import PatientRepository
from billing.pricelist.service import price_on

DEFERRED_KINDS = frozenset({"program", "surcharge"})
"""Program prices and surcharges are paid before the services: deferred until rendered (BIL-12)."""


@dataclass(frozen=True, slots=True)
class Line:
    service_code: str
    quantity: int = 1
    emergency: bool = False
    added_during_visit: bool = False
    terms: str = "clinic"


def revenue_account(invoice: Invoice) -> Account:
    return Account.PROGRAM_DEFERRED_REVENUE if invoice.kind in DEFERRED_KINDS else Account.REVENUE


def receivable_account(invoice: Invoice) -> Account:
    return RECEIVABLES_OF_PAYER[invoice.payer_kind]


def money(minor: int, invoice: Invoice) -> Money:
    return Money(minor, Currency(invoice.currency))


def refresh_status(invoice: Invoice) -> None:
    invoice.status = status_of(
        invoice.total_minor, invoice.adjusted_minor, invoice.paid_minor, invoice.status == "void"
    )


async def price_items(
    session: AsyncSession,
    org: OrganizationProjection,
    invoice: Invoice,
    lines: Sequence[Line],
    day: date,
    now: datetime,
    *,
    has_referral: bool = False,
    rate: Decimal | None = None,
) -> list[InvoiceItem]:
    """BIL-1 prices of the day, BIL-2/BIL-3 free care, program coverage (BIL-13), discounts (BIL-11)."""
    from billing.program.coverage import coverage_of_line  # programs price through invoices too

    services = ServiceRepository(session)
    discounts = await DiscountRepository(session).candidates(org.id, invoice.patient_id)
    items: list[InvoiceItem] = []
    for line in lines:
        service: Service = await services.known(org.id, line.service_code)
        listed = await price_on(session, org.id, line.service_code, day)
        list_price = Money(listed.price_minor, Currency(listed.currency))
        if rate is not None:
            list_price = convert(list_price, rate, Currency(invoice.currency))
        covered_by: str | None = None
        covered_rule: str | None = None
        if invoice.payer_kind == PayerKind.PROGRAM and invoice.enrollment_id is not None:
            decision = await coverage_of_line(
                session, invoice.enrollment_id, service, day, has_referral=has_referral, terms=line.terms
            )
            if decision.covered:
                covered_by, covered_rule = "program", decision.reasons[0].rule
        discount = None
        if invoice.payer_kind in (PayerKind.PATIENT, PayerKind.PROGRAM) and covered_by is None:
            from billing.discount.domain import best_discount

            discount = best_discount(discounts, service.code, day, invoice.patient_id)
        priced = price_line(
            list_price,
            line.quantity,
            state_order=service.state_order,
            emergency=line.emergency,
            covered_by=covered_by,
            covered_rule=covered_rule,
            discount_percent=discount.percent if discount else None,
        )
        items.append(
            InvoiceItem(
                id=new_id(),
                invoice_id=invoice.id,
                service_code=service.code,
                name=service.name,
                category=service.category,
                quantity=line.quantity,
                unit_price_minor=priced.unit_price.amount_minor,
                list_price_minor=list_price.amount_minor,
                discount_percent=priced.discount_percent,
                discount_id=discount.id if discount and priced.discount_percent else None,
                amount_minor=priced.amount.amount_minor,
                coverage=priced.coverage,
                coverage_rule=priced.coverage_rule,
                status="rendered" if line.added_during_visit else "planned",
                added_during_visit=line.added_during_visit,
                received_at=now if line.added_during_visit else None,
                rendered_at=now if line.added_during_visit else None,
                paid_price_locked=False,
            )
        )
    return items


async def charge(
    session: AsyncSession, invoice: Invoice, items: Sequence[InvoiceItem], now: datetime
) -> None:
    """Add the items and post their charge: the payer owes, revenue (or deferred revenue) earns."""
    session.add_all(items)
    amount = money(sum(i.amount_minor for i in items), invoice)
    invoice.total_minor += amount.amount_minor
    refresh_status(invoice)
    await session.flush()
    await post(
        session,
        invoice.organization_id,
        movement(
            "charge",
            (receivable_account(invoice), revenue_account(invoice), amount, invoice.patient_id),
            memo=f"{invoice.kind} {invoice.id}",
        ),
        ref_type="invoice",
        ref_id=invoice.id,
        at=now,
    )


async def cancel_items(
    session: AsyncSession,
    invoice: Invoice,
    items: Sequence[InvoiceItem],
    now: datetime,
    *,
    status: str = "cancelled",
) -> Money:
    """Reverse the charge of items not rendered (the visit will not happen); returns the amount."""
    amount = money(sum(i.amount_minor for i in items), invoice)
    for item in items:
        item.status = status
    invoice.total_minor -= amount.amount_minor
    refresh_status(invoice)
    await session.flush()
    await post(
        session,
        invoice.organization_id,
        movement(
            "cancellation",
            (revenue_account(invoice), receivable_account(invoice), amount, invoice.patient_id),
            memo=f"cancelled items of {invoice.id}",
        ),
        ref_type="invoice",
        ref_id=invoice.id,
        at=now,
    )
    return amount


async def announce(invoice: Invoice, session: AsyncSession, kind: str, now: datetime) -> None:
    await outbox.add(
        session,
        type=type_of(InvoiceIssued),
        aggregate_id=invoice.id,
        org_id=invoice.organization_id,
        now=now,
        data=InvoiceIssued(
            invoice_id=invoice.id,
            patient_id=invoice.patient_id,
            appointment_id=invoice.appointment_id,
            organization_id=invoice.organization_id,
            kind=kind,
            amount=money(invoice.total_minor, invoice).to_decimal_string(),
            currency=invoice.currency,
            balance_due=money(invoice.balance_due_minor, invoice).to_decimal_string(),
        ),
    )


def new_invoice(
    org: OrganizationProjection,
    patient_id: uuid.UUID,
    *,
    kind: str,
    source: str,
    payer: Payer,
    service_date: date,
    now: datetime,
    currency: str | None = None,
    appointment_id: uuid.UUID | None = None,
    branch_id: uuid.UUID | None = None,
    enrollment_id: uuid.UUID | None = None,
    due_at: datetime | None = None,
) -> Invoice:
    return Invoice(
        id=new_id(),
        organization_id=org.id,
        patient_id=patient_id,
        appointment_id=appointment_id,
        branch_id=branch_id,
        enrollment_id=enrollment_id,
        source=source,
        kind=kind,
        payer_kind=payer.kind.value,
        payer_ref=payer.ref,
        currency=currency or org.currency,
        status="open",
        service_date=service_date,
        issued_at=now,
        due_at=due_at,
        bank_transfer_only=(currency or org.currency) != org.currency,
        total_minor=0,
        adjusted_minor=0,
        paid_minor=0,
        note=payer.note,
    )


async def issue_charge(
    session: AsyncSession,
    org: OrganizationProjection,
    patient_id: uuid.UUID,
    lines: Sequence[Line],
    *,
    kind: str,
    source: str,
    at: datetime,
    now: datetime,
    due_at: datetime | None = None,
    payer: Payer | None = None,
) -> Invoice | None:
    """A charge for services rendered outside a visit (false call, samples not ready, damage):
    one invoice per cause (`source`), rendered at once, due at `due_at` (BIL-10, BIL-15)."""
    repo = InvoiceRepository(session)
    if await repo.by_source(source) is not None:
        return None
    day = local_date(at, org.time_zone)
    policy = policy_of(org, day)
    invoice = new_invoice(
        org,
        patient_id,
        kind=kind,
        source=source,
        payer=payer or Payer(PayerKind.PATIENT),
        service_date=day,
        now=now,
        due_at=due_at or policy.end_of_day(at),
    )
    session.add(invoice)
    await session.flush()
    items = await price_items(
        session,
        org,
        invoice,
        [Line(x.service_code, x.quantity, added_during_visit=True) for x in lines],
        day,
        at,
    )
    await charge(session, invoice, items, now)
    await announce(invoice, session, kind, now)
    return invoice


async def visible(session: AsyncSession, principal: Principal, invoice_id: uuid.UUID) -> Invoice:
    invoice = await InvoiceRepository(session).get(invoice_id)
    if invoice is None:
        raise InvoiceNotFound()
    access.check_can_read_invoice(principal, invoice)
    return invoice


async def add_items(
    session: AsyncSession, principal: Principal, invoice_id: uuid.UUID, body: ItemsAdd, now: datetime
) -> Invoice:
    """BIL-4: services prescribed during the visit, received now, paid within the policy's term
    (30 minutes, O 4.7); past it a debt opens (BIL-10, the debt sweep)."""
    repo = InvoiceRepository(session)
    invoice = await repo.locked(invoice_id)
    if invoice is None:
        raise InvoiceNotFound()
    access.check_can_add_items(principal, invoice)
    if invoice.status == "void":
        raise InvoiceNotOpen()
    if invoice.act_issued_at is not None:
        raise ItemsAfterAct()
    org = await OrganizationRepository(session).known(invoice.organization_id)
    day = local_date(now, org.time_zone)
    policy = policy_of(org, day)  # ORG-3: BIL-4's term in force on the day the items are received
    items = await price_items(
        session,
        org,
        invoice,
        [Line(i.service_code, i.quantity, i.emergency, added_during_visit=True) for i in body.items],
        day,
        now,
    )
    due = extra_item_due(now, policy.extra_services_payment_minutes, policy.end_of_day(now))
    for item in items:
        item.due_at = due
    if invoice.due_at is None or due < invoice.due_at:
        invoice.due_at = due
    await charge(session, invoice, items, now)
    return invoice


async def create_invoice(
    session: AsyncSession, principal: Principal, body: InvoiceCreate, now: datetime
) -> Invoice:
    """An invoice issued in advance (BIL-5: the only way a foreign currency is accepted, by bank
    transfer), for the patient or another payer (BIL-8)."""
    patient = await PatientRepository(session).known(body.patient_id)
    access.check_can_issue_invoice(principal, patient.organization_id, patient.id)
    org = await OrganizationRepository(session).known(patient.organization_id)
    currency = (body.currency.value if body.currency else None) or org.currency
    rate: Decimal | None = None
    if currency != org.currency:
        if body.exchange_rate is None or Decimal(body.exchange_rate) <= 0:
            raise ExchangeRateRequired()
        rate = Decimal(body.exchange_rate)
    day = body.service_date or local_date(now, org.time_zone)
    payer = Payer(body.payer.kind, body.payer.ref) if body.payer else Payer(PayerKind.PATIENT)
    invoice = new_invoice(
        org,
        patient.id,
        kind="invoice",
        source=f"request:{new_id()}",
        payer=payer,
        service_date=day,
        now=now,
        currency=currency,
    )
    session.add(invoice)
    await session.flush()
    items = await price_items(
        session,
        org,
        invoice,
        [Line(i.service_code, i.quantity, i.emergency) for i in body.items],
        day,
        now,
        rate=rate,
    )
    await charge(session, invoice, items, now)
    await announce(invoice, session, "invoice", now)
    return invoice
