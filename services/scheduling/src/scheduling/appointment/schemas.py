"""Appointment bodies (api.md, Core shapes: Appointment)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from clinic_common.schemas import Instant, RequestModel

from scheduling.organization.domain import LatenessOption
from scheduling.practitioner.domain import VisitType


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
    ref: str | None = Field(default=None, max_length=100, description="For `program`: the enrolment id")


class AppointmentCreate(RequestModel):
    patient_id: UUID
    practitioner_id: UUID
    service_code: str = Field(min_length=1, max_length=64)
    start: Instant
    channel: Channel
    payer: Payer | None = None
    visit_type: VisitType | None = Field(
        default=None, description="SCH-2; a first visit of the service's kind when absent"
    )
    referral_id: UUID | None = Field(default=None, description="REC-11, SCH-9: the referral it is booked on")
    emergency: bool = Field(default=False, description="SCH-13: emergency care is never refused")


class Confirmation(BaseModel):
    """SCH-6: arrive early, with an identity document."""

    arrive_early_minutes: int
    arrive_by: datetime
    bring_identity_document: bool = True
    message: str


class AppointmentRead(BaseModel):
    id: UUID
    patient_id: UUID
    practitioner_id: UUID
    branch_id: UUID
    service_code: str
    visit_type: VisitType | None
    kind: str
    start: datetime
    end: datetime
    expected_start: datetime
    delay_minutes: int
    status: str
    channel: str
    payer: Payer
    referral_id: UUID | None
    arrived_at: datetime | None
    lateness_minutes: int | None
    cancel_reason: str | None
    refundable: bool | None
    version: int


class BookingRead(AppointmentRead):
    confirmation: Confirmation


class CancelBody(RequestModel):
    reason: str = Field(default="patient", pattern="^(patient|clinic)$")
    channel: Channel | None = Field(default=None, description="Defaults to the caller's channel")


class RescheduleBody(RequestModel):
    start: Instant
    practitioner_id: UUID | None = Field(default=None, description="Another practitioner (SCH-15)")
    visit_type: VisitType | None = None
    channel: Channel | None = None


class CheckInBody(RequestModel):
    arrived_at: Instant | None = Field(default=None, description="Defaults to now")


class QueuePlace(BaseModel):
    number: int
    position: int
    group: str


class CheckInRead(BaseModel):
    """SCH-7: the lateness and the options the policy allows; the pass once the patient waits."""

    appointment: AppointmentRead
    lateness_minutes: int
    options: list[LatenessOption]
    queue: QueuePlace | None


class LateArrivalBody(RequestModel):
    option: LatenessOption
    start: Instant | None = Field(default=None, description="For reschedule and transfer")
    practitioner_id: UUID | None = Field(default=None, description="For transfer")


class DelayBody(RequestModel):
    minutes: int = Field(ge=1, le=600, description="More minutes; at most 60 in total (SCH-8)")


class DelayRead(BaseModel):
    appointment: AppointmentRead
    moved: list[AppointmentRead] = Field(description="Every later visit whose expected start moved")


def read_of(a: Any, time_zone: str) -> AppointmentRead:
    """The appointment as clients see it, times in its branch's zone (api.md, Times)."""
    tz = ZoneInfo(time_zone)
    return AppointmentRead(
        id=a.id,
        patient_id=a.patient_id,
        practitioner_id=a.practitioner_id,
        branch_id=a.branch_id,
        service_code=a.service_code,
        visit_type=VisitType(a.visit_type) if a.visit_type else None,
        kind=a.kind,
        start=a.start_at.astimezone(tz),
        end=a.end_at.astimezone(tz),
        expected_start=a.expected_start_at.astimezone(tz),
        delay_minutes=a.delay_minutes,
        status=a.status,
        channel=a.channel,
        payer=Payer(kind=PayerKind(a.payer_kind), ref=a.payer_ref),
        referral_id=a.referral_id,
        arrived_at=a.arrived_at.astimezone(tz) if a.arrived_at else None,
        lateness_minutes=a.lateness_minutes,
        cancel_reason=a.cancel_reason,
        refundable=a.refundable,
        version=a.version,
    )
