"""Debt use cases (BIL-10): the periodic sweep opens debts past their term and accrues the
policy's penalty; a payment that clears the invoice settles the debt. Never commits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.calendar import local_date
from clinic_common.events.catalog import type_of
from clinic_common.events.payloads.billing import DebtOpened, DebtSettled
from clinic_common.money import Currency, Money

from billing.db import outbox
from billing.debt.domain import is_overdue, penalty
from billing.debt.models import Debt
from billing.ids import new_id
from billing.invoice.models import Invoice, InvoiceItem
from billing.invoice.service import money, receivable_account, refresh_status
from billing.ledger.domain import Account, movement
from billing.ledger.service import post
from billing.organization.models import OrganizationProjection
from billing.organization.repository import OrganizationRepository, policy_of

PENALTY_CODE = "late_payment_penalty"


async def sweep(session: AsyncSession, now: datetime, limit: int = 200) -> int:
    """Open a debt for each invoice with rendered services unpaid past their term (BIL-4, BIL-10),
    and accrue penalties on open debts; returns how many debts it opened."""
    due = (
        (
            await session.execute(
                select(Invoice)
                .where(
                    Invoice.due_at < now,
                    Invoice.status.in_(("open", "partially_paid")),
                    Invoice.payer_kind.in_(("patient", "program", "third_party")),
                    ~select(Debt.id).where(Debt.invoice_id == Invoice.id, Debt.status == "open").exists(),
                )
                .order_by(Invoice.due_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    opened = 0
    for invoice in due:
        rendered = (
            invoice.act_issued_at is not None
            or (
                await session.scalar(
                    select(InvoiceItem.id)
                    .where(InvoiceItem.invoice_id == invoice.id, InvoiceItem.status == "rendered")
                    .limit(1)
                )
            )
            is not None
        )
        if not is_overdue(invoice.due_at, now, money(invoice.balance_due_minor, invoice), rendered):
            continue
        reason = (
            "damage"
            if invoice.kind == "damage"
            else ("act_unpaid" if invoice.act_issued_at else "extra_services_term")
        )
        debt = Debt(
            id=new_id(),
            organization_id=invoice.organization_id,
            patient_id=invoice.patient_id,
            invoice_id=invoice.id,
            amount_minor=invoice.balance_due_minor,
            currency=invoice.currency,
            penalty_minor=0,
            status="open",
            reason=reason,
            due_at=invoice.due_at or now,
            opened_at=now,
        )
        session.add(debt)
        await session.flush()
        await outbox.add(
            session,
            type=type_of(DebtOpened),
            aggregate_id=debt.id,
            org_id=debt.organization_id,
            now=now,
            data=DebtOpened(
                debt_id=debt.id,
                patient_id=debt.patient_id,
                organization_id=debt.organization_id,
                amount=money(debt.amount_minor, invoice).to_decimal_string(),
                currency=debt.currency,
                invoice_id=invoice.id,
                reason=reason,
            ),
        )
        opened += 1
    await accrue_penalties(session, now, limit)
    return opened


async def accrue_penalties(session: AsyncSession, now: datetime, limit: int) -> None:
    """BIL-10 (policy): the penalty accrued so far is charged on the debt's invoice (the delta)."""
    debts = (
        (
            await session.execute(
                select(Debt)
                .where(Debt.status == "open")
                .order_by(Debt.opened_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    rates: dict[tuple[UUID, date], Decimal | None] = {}  # per organization and day, for this round

    def percent_on(org: OrganizationProjection) -> Callable[[datetime], Decimal | None]:
        def on(instant: datetime) -> Decimal | None:
            key = (org.id, local_date(instant, org.time_zone))
            if key not in rates:
                rates[key] = policy_of(org, key[1]).late_payment_penalty_percent_per_day
            return rates[key]

        return on

    for debt in debts:
        org = await OrganizationRepository(session).get(debt.organization_id)
        if org is None:
            continue
        # ORG-3: each day overdue at the penalty in force on that (local) day.
        target = penalty(Money(debt.amount_minor, Currency(debt.currency)), debt.due_at, now, percent_on(org))
        delta = target.amount_minor - debt.penalty_minor
        if delta <= 0:
            continue
        invoice = await session.get(Invoice, debt.invoice_id, with_for_update=True)
        if invoice is None:
            continue
        session.add(
            InvoiceItem(
                id=new_id(),
                invoice_id=invoice.id,
                service_code=PENALTY_CODE,
                name="Неустойка за просрочку оплаты",
                category="penalty",
                quantity=1,
                unit_price_minor=delta,
                list_price_minor=delta,
                amount_minor=delta,
                coverage=None,
                coverage_rule="BIL-10",
                status="rendered",
                added_during_visit=False,
                received_at=now,
                rendered_at=now,
                paid_price_locked=False,
            )
        )
        invoice.total_minor += delta
        refresh_status(invoice)
        debt.penalty_minor = target.amount_minor
        await session.flush()
        await post(
            session,
            invoice.organization_id,
            movement(
                "penalty",
                (
                    receivable_account(invoice),
                    Account.PENALTY_REVENUE,
                    money(delta, invoice),
                    invoice.patient_id,
                ),
            ),
            ref_type="debt",
            ref_id=debt.id,
            at=now,
        )


async def settle_for_invoice(session: AsyncSession, invoice: Invoice, now: datetime) -> None:
    """BIL-10: paid in full, the invoice's open debt is settled and scheduling lifts its block."""
    debt = await session.scalar(
        select(Debt).where(Debt.invoice_id == invoice.id, Debt.status == "open").with_for_update()
    )
    if debt is None:
        return
    debt.status = "settled"
    debt.settled_at = now
    await session.flush()
    await outbox.add(
        session,
        type=type_of(DebtSettled),
        aggregate_id=debt.id,
        org_id=debt.organization_id,
        now=now,
        data=DebtSettled(debt_id=debt.id, patient_id=debt.patient_id, organization_id=debt.organization_id),
    )


async def open_debts(session: AsyncSession, patient_id: object) -> list[Debt]:
    stmt = select(Debt).where(Debt.patient_id == patient_id, Debt.status == "open").order_by(Debt.opened_at)
    return list((await session.execute(stmt)).scalars().all())
