"""Request and response bodies of the deterioration-report API (HV-10)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.schemas import RequestModel

from home_visits.deterioration.domain import ReportStatus


class ReportCreate(RequestModel):
    patient_id: UUID
    description: str = Field(min_length=1, max_length=2000)
    practitioner_id: UUID | None = Field(
        default=None,
        description=(
            "The attending doctor; by default the patient's attending practitioner (SCH-15), else "
            "the doctor of the patient's latest home visit"
        ),
    )


class ReportRead(BaseModel):
    id: UUID
    organization_id: UUID
    patient_id: UUID
    practitioner_id: UUID | None = Field(description="The attending doctor it was routed to")
    description: str
    status: ReportStatus
    reported_at: datetime
    acknowledge_by: datetime
    escalated_at: datetime | None
    escalation_reason: str | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
