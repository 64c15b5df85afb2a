"""Bodies of the offer and contract API (REC-3, REC-4, ORG-3)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.schemas import LocalDate, RequestModel

from records.patient.schemas import TEXT


class OfferCreate(RequestModel):
    organization_id: UUID
    title: str = Field(min_length=1, max_length=300, pattern=TEXT)
    text: str = Field(min_length=1, max_length=200_000, pattern=TEXT)
    effective_from: LocalDate
    valid_to: LocalDate | None = Field(default=None, description="Defaults to 5 years (O 1.5)")


class OfferRead(BaseModel):
    id: UUID
    organization_id: UUID
    title: str
    published_on: date
    effective_from: date
    valid_to: date
    notice_recorded_at: datetime
    notice_working_days: int


class AcceptanceRead(BaseModel):
    id: UUID
    patient_id: UUID
    offer_version_id: UUID
    act: str
    act_ref: str | None
    accepted_at: datetime


class ContractCreate(RequestModel):
    """REC-4: concluded before the first visit; the customer signs and pays (may be the patient)."""

    customer_id: UUID | None = Field(default=None, description="The customer's person id; none: the patient")


class ContractRead(BaseModel):
    id: UUID
    patient_id: UUID
    customer_id: UUID
    number: str
    concluded_on: date
    copies: int
    signed_at: datetime
