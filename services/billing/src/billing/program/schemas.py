"""Bodies of the program, enrolment, coverage and surcharge API (BIL-12 to BIL-18)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.money import MoneyModel
from clinic_common.schemas import LocalDate, RequestModel

from billing.pricelist.schemas import CATEGORY_PATTERN, SERVICE_CODE_PATTERN


class Terms(StrEnum):
    CLINIC = "clinic"
    HOME = "home"
    HOME_URGENT = "home_urgent"


class ExclusionKind(StrEnum):
    CATEGORY = "category"  # P 12.8.1
    DISEASE = "disease"  # P 12.8.2 (ICD-10 code or range)
    CONDITION = "condition"  # P 12.8.3, checked at sale
    DENTAL = "dental"  # P 12.8.4
    SERVICE = "service"


class IncludedIn(RequestModel):
    service_code: str = Field(pattern=SERVICE_CODE_PATTERN)
    times: int | None = Field(default=None, ge=1, le=1000, description="null: as often as prescribed")
    terms: list[Terms] = Field(default_factory=list, max_length=3)
    without_referral: bool = False
    preventive_month: int | None = Field(default=None, ge=1, le=12)


class ExclusionIn(RequestModel):
    kind: ExclusionKind
    code: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$")
    name: str = Field(min_length=1, max_length=500, pattern=r"\S")
    source: str = Field(default="P 12.8", min_length=1, max_length=50)


class ProgramCreate(RequestModel):
    organization_id: UUID
    service_code: str = Field(pattern=SERVICE_CODE_PATTERN, description="The price list item that prices it")
    name: str = Field(min_length=1, max_length=300, pattern=r"\S")
    duration_months: int = Field(default=12, ge=1, le=60)
    urgent_home_care: bool = False
    referral_required: bool = True
    home_care_in_base_zone: bool = True
    documents: list[str] = Field(default_factory=list, max_length=50)
    included: list[IncludedIn] = Field(min_length=1, max_length=500)
    exclusions: list[ExclusionIn] = Field(default_factory=list, max_length=1000)


class IncludedRead(BaseModel):
    service_code: str
    times: int | None
    terms: list[str]
    without_referral: bool
    preventive_month: int | None


class ExclusionRead(BaseModel):
    kind: str
    code: str
    name: str
    source: str


class ProgramRead(BaseModel):
    id: UUID
    organization_id: UUID
    service_code: str
    name: str
    duration_months: int
    urgent_home_care: bool
    referral_required: bool
    home_care_in_base_zone: bool
    documents: list[str]
    included: list[IncludedRead]
    exclusions: list[ExclusionRead]


class EnrollmentCreate(RequestModel):
    program_id: UUID
    patient_id: UUID
    starts_on: LocalDate
    conditions: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="Conditions declared at sale (checked against P 12.8.3)",
    )


class EnrollmentRead(BaseModel):
    id: UUID
    program_id: UUID
    patient_id: UUID
    invoice_id: UUID
    starts_on: date
    ends_on: date
    status: str
    price: MoneyModel
    used: MoneyModel
    manager_contacts_due_on: date
    manager_contact: str | None = None
    created_at: datetime


class Reason(BaseModel):
    rule: str
    detail: str


class CoverageRead(BaseModel):
    covered: bool
    payer: str
    reasons: list[Reason]
    price: MoneyModel | None = None


class SurchargeRead(BaseModel):
    id: UUID
    enrollment_id: UUID
    basis: str
    percent: str
    amount: MoneyModel
    status: str
    invoice_id: UUID | None = None
    proposed_at: datetime
    decided_at: datetime | None = None


class ManagerAssign(RequestModel):
    contact: str = Field(min_length=1, max_length=300, pattern=r"\S")


SERVICE_CATEGORY_PATTERN = CATEGORY_PATTERN
