"""Bodies of the payment API (api.md, Core shapes: Payment)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.money import MoneyModel, SignedMoneyModel
from clinic_common.schemas import RequestModel

from billing.payment.domain import ExcessHandling, PaymentMethod


class PaymentCreate(RequestModel):
    invoice_id: UUID
    amount: MoneyModel
    method: PaymentMethod
    excess: ExcessHandling = Field(
        default=ExcessHandling.REFUSE,
        description="Beyond the balance due: refuse (422 amount_mismatch) or keep as the patient's credit",
    )
    paid_by: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Someone else paying with the patient's consent (O 4.3)",
    )


class CreditApply(RequestModel):
    amount: MoneyModel | None = Field(default=None, description="Default: as much as is due and available")


class ReceiptRead(BaseModel):
    number: int
    issued_at: datetime
    fiscal_document_id: UUID | None = None
    fiscal_status: str | None = None


class PaymentRead(BaseModel):
    id: UUID
    invoice_id: UUID
    patient_id: UUID
    amount: MoneyModel
    method: str
    applied: MoneyModel
    credited: MoneyModel = Field(description="The part kept as the patient's credit (an advance)")
    refunded: MoneyModel
    balance_due: SignedMoneyModel
    settlement: str
    paid_by: str | None = None
    receipt: ReceiptRead
