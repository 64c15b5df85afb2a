"""Bodies of complaints and feedback (REC-20, REC-21)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.money import MoneyModel
from clinic_common.schemas import RequestModel

from records.patient.schemas import TEXT


class ComplaintCreate(RequestModel):
    patient_id: UUID
    kind: Literal["complaint", "feedback", "medical_incident"]
    text: str = Field(min_length=1, max_length=20000, pattern=TEXT)
    answer_channel: Literal["post", "in_person", "oral", "cabinet"] = "in_person"


class Decision(RequestModel):
    upheld: bool
    answer: str = Field(min_length=1, max_length=20000, pattern=TEXT)
    refund: MoneyModel | None = None
    invoice_id: UUID | None = None


class ComplaintRead(BaseModel):
    id: UUID
    patient_id: UUID
    kind: str
    answer_channel: str
    filed_at: datetime
    due_on: date | None
    status: str
    overdue: bool
    upheld: bool | None
    decided_at: datetime | None
