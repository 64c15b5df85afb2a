"""Queries of invoices and their items."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select

from clinic_common.db import RepositoryBase

from billing.invoice.models import Invoice, InvoiceItem


class InvoiceRepository(RepositoryBase[Invoice]):
    model = Invoice

    async def locked(self, invoice_id: UUID) -> Invoice | None:
        """The invoice under its row lock: totals change in turn, whatever the concurrency."""
        return await self.get(invoice_id, for_update=True)

    async def by_source(self, source: str, *, for_update: bool = False) -> Invoice | None:
        stmt = select(Invoice).where(Invoice.source == source)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.one_or_none(stmt)

    async def of_appointment(self, appointment_id: UUID, *, for_update: bool = False) -> Sequence[Invoice]:
        stmt = select(Invoice).where(Invoice.appointment_id == appointment_id).order_by(Invoice.id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.all(stmt)

    async def items(self, invoice_id: UUID) -> Sequence[InvoiceItem]:
        stmt = select(InvoiceItem).where(InvoiceItem.invoice_id == invoice_id).order_by(InvoiceItem.id)
        return (await self.session.execute(stmt)).scalars().all()

    async def items_of(self, invoice_ids: Sequence[UUID]) -> dict[UUID, list[InvoiceItem]]:
        out: dict[UUID, list[InvoiceItem]] = {i: [] for i in invoice_ids}
        if not invoice_ids:
            return out
        stmt = select(InvoiceItem).where(InvoiceItem.invoice_id.in_(invoice_ids)).order_by(InvoiceItem.id)
        for item in (await self.session.execute(stmt)).scalars():
            out[item.invoice_id].append(item)
        return out

    async def page_of(
        self,
        *,
        organization_id: UUID | None,
        patient_id: UUID | None,
        appointment_id: UUID | None,
        limit: int,
        after: UUID | None,
    ) -> Sequence[Invoice]:
        stmt = select(Invoice)
        if organization_id is not None:
            stmt = stmt.where(Invoice.organization_id == organization_id)
        if patient_id is not None:
            stmt = stmt.where(Invoice.patient_id == patient_id)
        if appointment_id is not None:
            stmt = stmt.where(Invoice.appointment_id == appointment_id)
        return await self.page(stmt, limit=limit, key_column=Invoice.id, after=after)
