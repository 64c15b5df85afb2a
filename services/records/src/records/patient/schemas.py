"""Request and response bodies of the patient API (api.md, Core shapes: Patient)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from clinic_common.schemas import LocalDate, RequestModel

# A name or text must contain something besides spaces.
TEXT = r"\S"


IdentityDocumentKind = Literal[
    "id_card", "passport", "birth_certificate", "residence_permit", "foreign_passport"
]
NotificationChannel = Literal["cabinet", "sms", "whatsapp"]
PHONE = r"^\+?[0-9 ()-]{6,20}$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class IdentityDocument(RequestModel):
    """REC-1: the identity document shown at registration (REC-16 and REC-19 check it again)."""

    kind: IdentityDocumentKind
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
    # Shape only: REC-1 checks it is a real number (`invalid_phone`) and stores it as E.164.
    phone: str = Field(pattern=PHONE)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL)
    # `true` only: "yes" or 1 is not consent. `false` passes the schema; REC-2 refuses it.
    personal_data_consent: bool
    # REC-2: asked for separately where the offer does not include it (the P preset).
    photo_video_consent: bool | None = None
    drug_addiction_treatment: bool = False
    notification_channels: list[NotificationChannel] | None = Field(default=None, max_length=3)


class PatientUpdate(RequestModel):
    """REC-19: the patient changes `phone`, `email` and how they are told; any other field only
    through the registry on a written application (`written_application_ref`)."""

    phone: str | None = Field(default=None, pattern=PHONE)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL)
    notification_channels: list[NotificationChannel] | None = Field(default=None, max_length=3)
    last_name: str | None = Field(default=None, min_length=1, max_length=100, pattern=TEXT)
    first_name: str | None = Field(default=None, min_length=1, max_length=100, pattern=TEXT)
    middle_name: str | None = Field(default=None, max_length=100)
    identity_document: IdentityDocument | None = None
    address: Address | None = None
    drug_addiction_treatment: bool | None = None
    written_application_ref: str | None = Field(default=None, min_length=1, max_length=100, pattern=TEXT)


class IdentityDocumentRead(BaseModel):
    kind: str
    number: str


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
    identity_document: IdentityDocumentRead
    address: Address
    phone: str
    email: str | None
    registered_at: datetime
    notification_channels: list[str]
    drug_addiction_treatment: bool
    health_group: str | None
