"""Bodies of the refund API (api.md, Core shapes: Refund)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.money import MoneyModel
from clinic_common.schemas import RequestModel

from billing.refund.domain import RefundBasis


class RefundCreate(RequestModel):
    payment_id: UUID
    amount: MoneyModel | None = None
    basis: RefundBasis
    application_ref: str | None = Field(default=None, min_length=1, max_length=200)
    complaint_id: UUID | None = None
    patient_breach: bool = False


class RefundRead(BaseModel):
    id: UUID
    payment_id: UUID
    invoice_id: UUID
    patient_id: UUID
    amount: MoneyModel
    basis: RefundBasis
    method: str
    status: str
    due_on: date | None = None
    overdue: bool = False
    application_ref: str | None = None
    complaint_id: UUID | None = None
    ordered_at: datetime
    paid_at: datetime | None = None
    fiscal_document_id: UUID | None = None


class RefundPage(BaseModel):
    items: list[RefundRead]
    next_cursor: str | None = None
