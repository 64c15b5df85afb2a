"""Request and response bodies of invoices (api.md, Core shapes: Invoice)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.money import Currency, MoneyModel, SignedMoneyModel
from clinic_common.schemas import RequestModel

from billing.invoice.domain import PayerKind
from billing.pricelist.schemas import SERVICE_CODE_PATTERN


class PayerRead(BaseModel):
    kind: PayerKind
    ref: str | None = None


class InvoiceItemRead(BaseModel):
    id: UUID
    service_code: str
    name: str
    quantity: int
    list_price: MoneyModel
    unit_price: MoneyModel
    amount: MoneyModel
    discount_percent: str | None = None
    coverage: str | None = Field(default=None, description="Who bears a line the patient does not pay")
    coverage_rule: str | None = None
    status: str
    added_during_visit: bool
    due_at: datetime | None = None


class InvoiceRead(BaseModel):
    id: UUID
    organization_id: UUID
    patient_id: UUID
    appointment_id: UUID | None = None
    enrollment_id: UUID | None = None
    kind: str
    payer: PayerRead
    items: list[InvoiceItemRead]
    total: MoneyModel
    paid: MoneyModel
    balance_due: SignedMoneyModel
    status: str
    service_date: date
    issued_at: datetime
    due_at: datetime | None = None
    act_issued_at: datetime | None = None
    bank_transfer_only: bool = False


class InvoicePage(BaseModel):
    items: list[InvoiceRead]
    next_cursor: str | None = None


class ItemAdd(RequestModel):
    service_code: str = Field(pattern=SERVICE_CODE_PATTERN)
    quantity: int = Field(default=1, ge=1, le=100)
    emergency: bool = Field(default=False, description="BIL-3: emergency care during paid services is free")


class ItemsAdd(RequestModel):
    items: list[ItemAdd] = Field(min_length=1, max_length=50)


class PayerIn(RequestModel):
    kind: PayerKind = PayerKind.PATIENT
    ref: str | None = Field(default=None, min_length=1, max_length=100)


class InvoiceCreate(RequestModel):
    """An invoice issued in advance, e.g. for a bank transfer (BIL-5), in the organization's or a
    foreign currency; a foreign one needs the rate: organization currency units per foreign unit."""

    patient_id: UUID
    service_date: date | None = None
    items: list[ItemAdd] = Field(min_length=1, max_length=50)
    currency: Currency | None = None
    exchange_rate: str | None = Field(default=None, pattern=r"^(0|[1-9][0-9]{0,6})(\.[0-9]{1,6})?$")
    payer: PayerIn | None = None
