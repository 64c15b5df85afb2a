"""Bodies of the attending practitioner (SCH-15)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.schemas import RequestModel

from scheduling.attending.domain import Capacity


class AttendingChoice(RequestModel):
    practitioner_id: UUID = Field(description="An active practitioner of the patient's organization")
    reason: str | None = Field(
        default=None, min_length=1, max_length=500, description="Required when the organization replaces"
    )
    acting_as: Capacity | None = Field(
        default=None,
        description=(
            "`patient` (O 6.2.1), `personal_manager` (P 12.2.3) or `organization` (O 5.2.8); by "
            "default the personal manager for staff whose role may act so, else the organization; "
            "the patient for a patient token"
        ),
    )


class AttendingChangeRead(BaseModel):
    practitioner_id: UUID
    previous_practitioner_id: UUID | None
    capacity: Capacity
    role: str = Field(description="The role the change was made with")
    chosen_by: str = Field(description="Who made the change (the token's subject)")
    reason: str | None
    at: datetime


class AttendingRead(BaseModel):
    patient_id: UUID
    organization_id: UUID
    practitioner_id: UUID | None = Field(description="None until one is chosen")
    since: datetime | None
    version: int
    history: list[AttendingChangeRead] = Field(description="Every choice and change, the latest first")
