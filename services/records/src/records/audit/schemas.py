"""Bodies of the audit and review API (REC-13, REC-14)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.schemas import RequestModel

from records.patient.schemas import TEXT

ReviewKind = Literal["break_glass", "intervention_without_consent", "police_report", "withholding"]


class AuditRead(BaseModel):
    id: int
    at: datetime
    patient_id: UUID
    entry_id: UUID | None
    resource: str
    action: str
    purpose: str
    actor_subject: str
    actor_roles: list[str]
    actor_staff_id: UUID | None
    actor_person_id: UUID | None
    break_glass_id: UUID | None


class AuditPage(BaseModel):
    items: list[AuditRead]
    next_cursor: str | None = None


class ReviewRead(BaseModel):
    id: UUID
    organization_id: UUID
    patient_id: UUID
    kind: str
    ref_id: UUID
    reason: str
    actor_subject: str
    created_at: datetime
    reviewed_at: datetime | None
    reviewed_by: str | None
    review_note: str | None


class ReviewPage(BaseModel):
    items: list[ReviewRead]
    next_cursor: str | None = None


class ReviewClose(RequestModel):
    note: str = Field(min_length=1, max_length=4000, pattern=TEXT)
