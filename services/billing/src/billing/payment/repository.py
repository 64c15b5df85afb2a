"""Queries of payments and receipt numbers."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from clinic_common.db import RepositoryBase

from billing.patient.models import PatientProjection
from billing.payment.models import Payment, ReceiptCounter


class PaymentRepository(RepositoryBase[Payment]):
    model = Payment

    async def next_receipt_number(self, organization_id: UUID) -> int:
        """BIL-7: the organization's next receipt number, taken in this transaction: concurrent
        payments wait on the counter row in turn, and a rollback gives the number back (no gaps)."""
        stmt = (
            pg_insert(ReceiptCounter)
            .values(organization_id=organization_id, last_number=1)
            .on_conflict_do_update(
                index_elements=[ReceiptCounter.organization_id],
                set_={"last_number": ReceiptCounter.last_number + 1},
            )
            .returning(ReceiptCounter.last_number)
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def lock_patient(self, patient_id: UUID) -> None:
        """The patient's money lock: credit drawn and refunded in turn (never below zero)."""
        await self.session.execute(
            select(PatientProjection.id).where(PatientProjection.id == patient_id).with_for_update()
        )
