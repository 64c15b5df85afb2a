"""Bodies of conduct violations and refusals of service (REC-22)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.schemas import RequestModel

from records.patient.schemas import TEXT

ViolationKind = Literal[
    "no_show", "late_arrival", "medical_advice_not_followed", "conduct_rules", "property_damage", "other"
]


class ViolationCreate(RequestModel):
    kind: ViolationKind
    note: str = Field(min_length=1, max_length=4000, pattern=TEXT)
    appointment_id: UUID | None = None


class ViolationRead(BaseModel):
    id: UUID
    patient_id: UUID
    kind: str
    occurred_at: datetime
    appointment_id: UUID | None
    note: str


class ServiceRefusalCreate(RequestModel):
    reason: str = Field(min_length=1, max_length=4000, pattern=TEXT)
    threatens_life_or_health: bool = Field(
        description="Refusing would threaten the patient's life or others' health (O 3.17): never allowed"
    )


class ServiceRefusalRead(BaseModel):
    id: UUID
    patient_id: UUID
    refused_from: date
    reason: str
    emergency_care_refused: bool = Field(default=False, description="Never: emergency care is always given")
