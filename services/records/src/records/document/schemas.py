"""Bodies of documents and results (REC-16, REC-17, REC-18)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.schemas import LocalDate, RequestModel

from records.link.schemas import Document
from records.patient.schemas import TEXT


class DocumentRequestCreate(RequestModel):
    """api.md: `patient_id, kind, delivery`. `email` passes the schema so REC-17 refuses it with its
    own code (api.md: values a rule judges)."""

    patient_id: UUID
    kind: Literal["copy", "extract", "certificate"]
    delivery: Literal["in_person", "cabinet", "whatsapp", "email"]
    application_ref: str | None = Field(default=None, min_length=1, max_length=100, pattern=TEXT)


class DocumentRequestRead(BaseModel):
    id: UUID
    patient_id: UUID
    kind: str
    delivery: str
    requested_at: datetime
    due_on: date
    status: str
    overdue: bool
    handed_over_at: datetime | None
    handed_to: UUID | None


class HandOver(RequestModel):
    """REC-16: who takes it and the document they show (identity, or the link's authority)."""

    person_id: UUID
    document: Document


class ResultCreate(RequestModel):
    kind: Literal["laboratory", "instrumental"]
    title: str = Field(min_length=1, max_length=300, pattern=TEXT)
    text: str = Field(min_length=1, max_length=20000, pattern=TEXT)
    ordered_on: LocalDate | None = None  # the examination ordered or the sample taken (REC-18)
    promised_on: LocalDate | None = None  # REC-18: within 15 working days of `ordered_on`


class ResultRead(BaseModel):
    id: UUID
    patient_id: UUID
    entry_id: UUID
    kind: str
    title: str
    published_at: datetime
    notified_at: datetime | None
    notified_via: str


class ResultDelayCreate(RequestModel):
    """REC-18 (O 5.2.4): a result will be later than promised."""

    title: str = Field(min_length=1, max_length=300, pattern=TEXT)
    promised_on: LocalDate
    expected_on: LocalDate
