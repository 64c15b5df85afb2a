"""Request and response bodies of the patient API (api.md, Core shapes: Patient)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from clinic_common.schemas import LocalDate, RequestModel

# A name or text must contain something besides spaces.
TEXT = r"\S"


class IdentityDocument(RequestModel):
    kind: str = Field(min_length=1, max_length=50, pattern=TEXT)
    number: str = Field(min_length=1, max_length=50, pattern=TEXT)


class Address(RequestModel):
    text: str = Field(min_length=1, max_length=500, pattern=TEXT)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class PatientCreate(RequestModel):
    organization_id: UUID
    last_name: str = Field(min_length=1, max_length=100, pattern=TEXT)
    first_name: str = Field(min_length=1, max_length=100, pattern=TEXT)
    middle_name: str | None = Field(default=None, max_length=100)
    birth_date: LocalDate = Field(description="YYYY-MM-DD, without a time")
    sex: Literal["female", "male"] | None = None
    # Shape only: the REC-1 rule (check digit, birth date) answers `invalid_iin` with its rule ID.
    iin: str | None = Field(default=None, max_length=32)
    identity_document: IdentityDocument
    address: Address
    phone: str = Field(pattern=r"^\+?[0-9 ()-]{6,20}$")
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    # `true` only: "yes" or 1 is not consent. `false` passes the schema; REC-2 refuses it.
    personal_data_consent: bool


class PatientRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    organization_id: UUID
    last_name: str
    first_name: str
    middle_name: str | None
    birth_date: date
    sex: str | None
    iin: str | None
    identity_document: IdentityDocument
    address: Address
    phone: str
    email: str | None
    registered_at: datetime
