"""Appointment bodies (api.md, Core shapes: Appointment)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.schemas import Instant, RequestModel


class Channel(StrEnum):
    website = "website"
    mobile_app = "mobile_app"
    call_center = "call_center"
    registry = "registry"
    cabinet = "cabinet"


class PayerKind(StrEnum):
    patient = "patient"
    insurer = "insurer"
    legal_entity = "legal_entity"
    program = "program"
    state = "state"
    third_party = "third_party"


class Payer(RequestModel):
    kind: PayerKind
    ref: str | None = Field(default=None, max_length=100)


class AppointmentCreate(RequestModel):
    patient_id: UUID
    practitioner_id: UUID
    service_code: str = Field(min_length=1, max_length=64)
    start: Instant
    channel: Channel
    payer: Payer | None = None


class AppointmentRead(BaseModel):
    id: UUID
    patient_id: UUID
    practitioner_id: UUID
    branch_id: UUID
    service_code: str
    start: datetime
    end: datetime
    expected_start: datetime
    status: str
    channel: str
    payer: Payer
