"""Bodies of the links API (REC-5)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.schemas import RequestModel

from records.patient.schemas import TEXT


class LinkAllows(RequestModel):
    """REC-5: what the link allows."""

    health_information: bool
    documents: bool
    sign_consent: bool


class Document(RequestModel):
    """A document by kind and number, as shown at the registry (REC-5, REC-16)."""

    kind: str = Field(min_length=1, max_length=50, pattern=TEXT)
    number: str = Field(min_length=1, max_length=50, pattern=TEXT)


class DocumentRead(BaseModel):
    kind: str
    number: str


class LinkCreate(RequestModel):
    """The person (registered in records, REC-5), the relation, the confirming document."""

    person_id: UUID
    relation: str = Field(min_length=1, max_length=40, pattern=TEXT)
    document: Document = Field(
        description="The confirming document: birth certificate, power of attorney, ..."
    )
    allows: LinkAllows


RevocationReason = Literal["patient_application", "authority_ended", "document_expired", "error"]


class LinkRead(BaseModel):
    id: UUID
    patient_id: UUID
    person_id: UUID
    kind: Literal["legal_representative", "trusted_person"]
    relation: str
    document: DocumentRead
    allows: LinkAllows
    created_at: datetime
    revoked_at: datetime | None = None
    revocation_reason: RevocationReason | None = None
    revocation_note: str | None = None


class LinkRevoke(RequestModel):
    """REC-5: why the link ends (the patient's application, the authority or its document ended,
    or it was recorded in error)."""

    reason: RevocationReason
    note: str | None = Field(default=None, min_length=1, max_length=2000, pattern=TEXT)


class WithholdingCreate(RequestModel):
    """REC-5 (O 6.2.15): why, and to whom the information is given instead."""

    reason: str = Field(min_length=1, max_length=2000, pattern=TEXT)
    disclosed_to: list[UUID] = Field(default_factory=list, max_length=10)


class WithholdingLift(RequestModel):
    """REC-5 (O 6.2.15): why the patient is told again."""

    reason: str = Field(min_length=1, max_length=2000, pattern=TEXT)


class WithholdingRead(BaseModel):
    id: UUID
    patient_id: UUID
    reason: str
    disclosed_to: list[UUID]
    decided_at: datetime
    lifted_at: datetime | None = None
    lift_reason: str | None = None
