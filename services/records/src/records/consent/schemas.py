"""Bodies of the consents, refusals and consent-list API (REC-2, REC-7, REC-9, REC-10)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.schemas import RequestModel

from records.patient.schemas import TEXT

ConsentKind = Literal["personal_data", "photo_video", "disclosure", "intervention"]
CODE = r"^[A-Za-z0-9_.\-]{1,64}$"


class ConsentCreate(RequestModel):
    """A consent given (or withdrawn, `given: false`) and who signed it (REC-6, REC-7)."""

    kind: ConsentKind
    given: bool = True
    signed_by: UUID = Field(description="The person who signs: the patient, or a linked person")
    to_person_id: UUID | None = Field(default=None, description="disclosure: to whom (REC-7)")
    intervention_code: str | None = Field(default=None, pattern=CODE, description="intervention (REC-9)")


class ConsentRead(BaseModel):
    id: UUID
    patient_id: UUID
    kind: str
    given: bool
    channel: str
    given_at: datetime
    signed_by: UUID | None
    signer_role: str | None
    to_person_id: UUID | None
    intervention_code: str | None


class RefusalCreate(RequestModel):
    """REC-10: the consequences explained, signed by the patient (or representative) and by the
    medical worker (the caller, with their `staff_id`)."""

    intervention_code: str = Field(pattern=CODE)
    consequences_explained: str = Field(min_length=1, max_length=4000, pattern=TEXT)
    signed_by: UUID
    worker_signed: bool = Field(description="The medical worker signed the refusal too")


class RefusalRead(BaseModel):
    id: UUID
    patient_id: UUID
    intervention_code: str
    consequences_explained: str
    signed_by: UUID
    signer_role: str
    worker_staff_id: UUID
    recorded_at: datetime


class InterventionListItem(RequestModel):
    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=300, pattern=TEXT)
    source: str = Field(default="Order 390н", min_length=1, max_length=100, pattern=TEXT)


class InterventionListRead(BaseModel):
    organization_id: UUID
    items: list[InterventionListItem]
