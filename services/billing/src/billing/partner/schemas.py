"""Bodies of the partner-insurer API (BIL-8, BIL-19)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.money import MoneyModel
from clinic_common.schemas import LocalDate, RequestModel

from billing.pricelist.schemas import SERVICE_CODE_PATTERN


class ClaimField(StrEnum):
    """What a claims-register column may hold."""

    CLAIM_ID = "claim_id"
    INVOICE_ID = "invoice_id"
    POLICY_NUMBER = "policy_number"
    PATIENT_ID = "patient_id"
    PATIENT_NAME = "patient_name"
    BIRTH_DATE = "birth_date"
    SERVICE_CODE = "service_code"
    SERVICE_NAME = "service_name"
    SERVICE_DATE = "service_date"
    QUANTITY = "quantity"
    UNIT_PRICE = "unit_price"
    AMOUNT = "amount"
    CURRENCY = "currency"
    GUARANTEE_ID = "guarantee_id"


class Column(RequestModel):
    field: ClaimField
    header: str = Field(min_length=1, max_length=100, pattern=r"\S")


DEFAULT_LAYOUT = [
    {"field": "claim_id", "header": "Claim"},
    {"field": "policy_number", "header": "Policy"},
    {"field": "patient_name", "header": "Patient"},
    {"field": "service_date", "header": "Date"},
    {"field": "service_code", "header": "Service code"},
    {"field": "service_name", "header": "Service"},
    {"field": "quantity", "header": "Qty"},
    {"field": "amount", "header": "Amount"},
    {"field": "currency", "header": "Currency"},
]


class InsurerCreate(RequestModel):
    organization_id: UUID
    name: str = Field(min_length=1, max_length=300, pattern=r"\S")
    claim_layout: list[Column] | None = Field(default=None, min_length=1, max_length=30)


class LayoutPut(RequestModel):
    columns: list[Column] = Field(min_length=1, max_length=30)


class InsurerRead(BaseModel):
    id: UUID
    organization_id: UUID
    name: str
    claim_layout: list[dict[str, str]]


class PolicyCreate(RequestModel):
    patient_id: UUID
    insurer_id: UUID
    policy_number: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z\-/ ]+$")
    valid_from: LocalDate
    valid_to: LocalDate
    service_codes: list[str] | None = Field(default=None, min_length=1, max_length=500)


class PolicyRead(BaseModel):
    id: UUID
    insurer_id: UUID
    patient_id: UUID
    policy_number: str
    valid_from: date
    valid_to: date
    service_codes: list[str] | None


class CoverageCheck(RequestModel):
    policy_number: str = Field(min_length=1, max_length=64)
    service_code: str = Field(pattern=SERVICE_CODE_PATTERN)
    date: LocalDate


class Reason(BaseModel):
    rule: str
    detail: str


class GuaranteeRead(BaseModel):
    guarantee_id: UUID
    decision: str  # approved, denied
    patient_id: UUID
    service_code: str
    date: date
    reasons: list[Reason]
    price: MoneyModel | None = None
    created_at: datetime


class ClaimRead(BaseModel):
    claim_id: UUID
    invoice_id: UUID
    patient_id: UUID
    policy_number: str | None
    service_code: str
    service_name: str
    service_date: date
    quantity: int
    unit_price: MoneyModel
    amount: MoneyModel


class ClaimPage(BaseModel):
    insurer_id: UUID
    items: list[ClaimRead]
