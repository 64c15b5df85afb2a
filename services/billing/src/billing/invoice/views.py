"""Rendering invoices as the API shows them: money objects, times in the organization's zone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.money import Currency, Money, MoneyModel, SignedMoneyModel

from billing.invoice.domain import PayerKind
from billing.invoice.models import Invoice, InvoiceItem
from billing.invoice.repository import InvoiceRepository
from billing.invoice.schemas import InvoiceItemRead, InvoiceRead, PayerRead
from billing.organization.models import OrganizationProjection


def zoned(dt: datetime | None, tz: str) -> datetime | None:
    return dt.astimezone(ZoneInfo(tz)) if dt is not None else None


async def time_zone_of(session: AsyncSession, organization_id: object) -> str:
    org = await session.get(OrganizationProjection, organization_id)
    return org.time_zone if org is not None else "UTC"


def invoice_read(invoice: Invoice, items: Sequence[InvoiceItem], tz: str) -> InvoiceRead:
    cur = Currency(invoice.currency)

    def m(minor: int) -> MoneyModel:
        return MoneyModel.of(Money(minor, cur))

    return InvoiceRead(
        id=invoice.id,
        organization_id=invoice.organization_id,
        patient_id=invoice.patient_id,
        appointment_id=invoice.appointment_id,
        enrollment_id=invoice.enrollment_id,
        kind="act" if invoice.act_issued_at is not None and invoice.kind == "estimate" else invoice.kind,
        payer=PayerRead(kind=PayerKind(invoice.payer_kind), ref=invoice.payer_ref),
        items=[
            InvoiceItemRead(
                id=i.id,
                service_code=i.service_code,
                name=i.name,
                quantity=i.quantity,
                list_price=m(i.list_price_minor),
                unit_price=m(i.unit_price_minor),
                amount=m(i.amount_minor),
                discount_percent=f"{i.discount_percent:.2f}" if i.discount_percent is not None else None,
                coverage=i.coverage,
                coverage_rule=i.coverage_rule,
                status=i.status,
                added_during_visit=i.added_during_visit,
                due_at=zoned(i.due_at, tz),
            )
            for i in items
        ],
        total=m(invoice.total_minor - invoice.adjusted_minor),
        paid=m(max(invoice.paid_minor, 0)),
        balance_due=SignedMoneyModel.of(Money(invoice.balance_due_minor, cur)),
        status=invoice.status,
        service_date=invoice.service_date,
        issued_at=zoned(invoice.issued_at, tz) or invoice.issued_at,
        due_at=zoned(invoice.due_at, tz),
        act_issued_at=zoned(invoice.act_issued_at, tz),
        bank_transfer_only=invoice.bank_transfer_only,
    )


async def read_one(session: AsyncSession, invoice: Invoice) -> InvoiceRead:
    items = await InvoiceRepository(session).items(invoice.id)
    return invoice_read(invoice, items, await time_zone_of(session, invoice.organization_id))
