"""Bodies of the medical card API (REC-8 to REC-12, REC-14, REC-15)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.schemas import LocalDate, RequestModel

from records.consent.schemas import CODE
from records.patient.schemas import TEXT

WritableKind = Literal[
    "encounter", "diagnosis", "examination", "prescription", "recommendation", "conclusion", "intervention"
]
InterventionCategory = Literal["invasive", "puncture", "biopsy", "injection", "operation", "other"]
HealthGroup = Literal["1", "2A", "2B", "3", "3A", "3B", "4", "5"]


class Intervention(RequestModel):
    """REC-9: what is started; categories of O 3.11/3.20 and the organization's list need consent."""

    category: InterventionCategory
    code: str = Field(pattern=CODE)
    legal_ground: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        pattern=TEXT,
        description="Care without consent (O 5.2.11)",
    )


class EntryCreate(RequestModel):
    kind: WritableKind
    text: str = Field(min_length=1, max_length=20000, pattern=TEXT)
    # Shape only here: REC-8 checks it is a WHO ICD-10 category or subcategory (`invalid_icd10`).
    icd10: str | None = Field(default=None, max_length=16)
    intervention: Intervention | None = None
    companion_id: UUID | None = Field(default=None, description="REC-6: who accompanies a patient under 15")
    emergency: bool = False


class AmendmentCreate(RequestModel):
    """REC-8: a correction of the entry; the original stays readable."""

    text: str = Field(min_length=1, max_length=20000, pattern=TEXT)
    icd10: str | None = Field(default=None, max_length=16)
    reason: str = Field(min_length=1, max_length=2000, pattern=TEXT)


class EntryRead(BaseModel):
    id: UUID
    patient_id: UUID
    kind: str
    amends_id: UUID | None
    icd10: str | None
    icd10_title: str | None
    text: str
    data: dict[str, Any]
    author_role: str
    author_staff_id: UUID | None
    recorded_at: datetime
    current: bool = Field(description="No later amendment corrects it (REC-8)")


class EntryPage(BaseModel):
    items: list[EntryRead]
    next_cursor: str | None = None


class ReferralCreate(RequestModel):
    service_code: str = Field(pattern=CODE)
    valid_until: LocalDate | None = None
    reason: str | None = Field(default=None, min_length=1, max_length=2000, pattern=TEXT)


class ReferralRead(BaseModel):
    id: UUID
    patient_id: UUID
    entry_id: UUID
    service_code: str
    facility: str | None
    issued_by: UUID
    issued_on: date
    valid_until: date | None
    status: str
    used_by_appointment_id: UUID | None


class HealthGroupCreate(RequestModel):
    health_group: HealthGroup
    established_on: LocalDate | None = None
    text: str = Field(default="Health group recorded", min_length=1, max_length=2000, pattern=TEXT)


class FlagCreate(RequestModel):
    """REC-15: suspected harm from unlawful acts (a report to the police, O 3.12), or a suspected
    infectious disease (a referral to a specialised facility, O 3.9)."""

    kind: Literal["police_report", "infectious_disease"]
    text: str = Field(min_length=1, max_length=4000, pattern=TEXT)
    icd10: str | None = Field(default=None, max_length=16)
    facility: str | None = Field(default=None, min_length=1, max_length=300, pattern=TEXT)


class FlagRead(BaseModel):
    entry: EntryRead
    referral: ReferralRead | None


class BreakGlassCreate(RequestModel):
    reason: str = Field(min_length=10, max_length=2000, pattern=TEXT)


class BreakGlassRead(BaseModel):
    id: UUID
    patient_id: UUID
    reason: str
    opened_at: datetime
    expires_at: datetime
