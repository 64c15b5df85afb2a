"""Events produced by scheduling."""

from __future__ import annotations

from datetime import date, datetime, time
from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.events.catalog import EventPayload, event

ALL = ("billing", "records", "home_visits")


class OpeningInterval(BaseModel):
    weekday: int  # 0 = Monday
    opens: time
    closes: time


class BranchData(BaseModel):
    id: UUID
    name: str
    address: str
    time_zone: str
    lat: float | None = None
    lon: float | None = None
    opening_hours: list[OpeningInterval]
    phone_booking_hours: list[OpeningInterval] = Field(default_factory=list)
    electronic_queue: bool = False
    sort_order: int = 0


class PolicyVersionData(BaseModel):
    """One published policy version and the organization-local date it takes effect (ORG-3)."""

    effective_from: date
    policy: dict[str, object]


@event("scheduling", "organization", "upserted", consumers=ALL)
class OrganizationUpserted(EventPayload):
    """An organization, its branches, opening hours and policy as now in force (ORG-1, ORG-2, ORG-3)."""

    id: UUID
    name: str
    country: str
    currency: str
    time_zone: str
    branches: list[BranchData]
    policy: dict[str, object] = Field(default_factory=dict)
    # ORG-3: `policy` is the version in force when the event was written; `policy_versions` lists
    # every published version (future ones included), so consumers can pick the one in force.
    policy_effective_from: date | None = None
    policy_versions: list[PolicyVersionData] = Field(default_factory=list)


@event("scheduling", "practitioner", "upserted", consumers=ALL)
class PractitionerUpserted(EventPayload):
    """A practitioner with specialty and qualification (SCH-1); home-care doctors included."""

    id: UUID
    organization_id: UUID
    branch_ids: list[UUID]
    full_name: str
    specialty: str
    qualification: str
    experience_years: int
    home_care: bool = False
    active: bool = True


@event("scheduling", "shift", "upserted", consumers=("home_visits",))
class ShiftUpserted(EventPayload):
    """A practitioner's weekly working shift at a branch (SCH-1)."""

    id: UUID
    organization_id: UUID
    practitioner_id: UUID
    branch_id: UUID
    weekday: int
    starts: time
    ends: time
    valid_from: date
    valid_to: date | None = None
    active: bool = True
    works_on_holidays: bool = False  # SCH-5: public holidays are off unless the shift says so
    time_zone: str | None = None  # the branch's zone: `starts`/`ends` are its wall-clock times


@event("scheduling", "shift_exception", "upserted", consumers=("home_visits",))
class ShiftExceptionUpserted(EventPayload):
    """A dated change of a practitioner's weekly shifts: an extra working stretch or time off (SCH-1)."""

    id: UUID
    organization_id: UUID
    practitioner_id: UUID
    day: date  # branch-local
    kind: str  # extra, day_off
    branch_id: UUID | None = None  # where an extra stretch is worked
    starts: time | None = None  # None for a whole day off
    ends: time | None = None
    time_zone: str | None = None  # of the branch (an extra stretch), else of the organization


class _AppointmentData(EventPayload):
    appointment_id: UUID
    organization_id: UUID
    patient_id: UUID
    practitioner_id: UUID
    branch_id: UUID
    service_code: str
    start: datetime
    end: datetime


@event("scheduling", "appointment", "booked", consumers=ALL)
class AppointmentBooked(_AppointmentData):
    """A visit was booked through a channel, with its payer (SCH-3, SCH-4, SCH-5)."""

    channel: str
    payer_kind: str = "patient"
    payer_ref: str | None = None
    referral_id: UUID | None = None
    enrollment_id: UUID | None = None
    visit_type: str | None = None  # SCH-2: first/repeat consultation/examination
    kind: str = "booked"  # booked; walk_in and emergency are checked in without a booking (SCH-3)
    arrive_early_minutes: int | None = None  # SCH-6: the confirmation asks for this, with an ID document


@event("scheduling", "appointment", "rescheduled", consumers=ALL)
class AppointmentRescheduled(_AppointmentData):
    """A visit moved to another time or practitioner (SCH-12, SCH-7)."""

    previous_start: datetime
    previous_practitioner_id: UUID
    channel: str | None = None  # SCH-12: through which channel it was moved
    reason: str | None = None  # `late_arrival` when moved for lateness (SCH-7)


@event("scheduling", "appointment", "cancelled", consumers=ALL)
class AppointmentCancelled(_AppointmentData):
    """A visit was cancelled; `reason` is patient, clinic, absence, late_refused or noshow (SCH-7, SCH-11)."""

    reason: str
    refundable: bool
    channel: str | None = None  # SCH-12: through which channel it was cancelled
    absence_id: UUID | None = None  # SCH-11: the absence that cancelled it


@event("scheduling", "appointment", "arrived", consumers=ALL)
class AppointmentArrived(_AppointmentData):
    """The patient checked in at the registry (SCH-7, SCH-14)."""

    arrived_at: datetime
    lateness_minutes: int
    kind: str = "booked"  # walk_in, emergency: checked in without a booking (SCH-3)
    options: list[str] = Field(default_factory=list)  # SCH-7: what check-in offered
    queue_number: int | None = None  # SCH-14: the pass, once the patient waits in the queue


@event("scheduling", "appointment", "fulfilled", consumers=ALL)
class AppointmentFulfilled(_AppointmentData):
    """The practitioner closed the visit; billing issues the act (BIL-6)."""

    fulfilled_at: datetime


@event("scheduling", "appointment", "noshow", consumers=ALL)
class AppointmentNoshow(_AppointmentData):
    """The patient did not arrive by the policy's cutoff (SCH-7, REC-22)."""


@event("scheduling", "appointment", "delayed", consumers=ALL)
class AppointmentDelayed(_AppointmentData):
    """The practitioner delayed the visit; the expected start moved (SCH-8)."""

    expected_start: datetime
    total_delay_minutes: int


@event("scheduling", "practitioner", "absence_declared", consumers=ALL)
class PractitionerAbsenceDeclared(EventPayload):
    """A practitioner is absent; their visits in the period are cancelled (SCH-11)."""

    practitioner_id: UUID
    organization_id: UUID
    starts: datetime
    ends: datetime
    reason: str
    absence_id: UUID | None = None
    cancelled_appointments: int = 0  # each also announced by its own `appointment.cancelled`


@event("scheduling", "attending_practitioner", "changed", consumers=("home_visits",))
class AttendingPractitionerChanged(EventPayload):
    """The patient's attending practitioner was chosen or changed (SCH-15); `version` orders the changes."""

    patient_id: UUID
    organization_id: UUID
    practitioner_id: UUID
    previous_practitioner_id: UUID | None = None  # None for the first choice
    capacity: str  # patient (O 6.2.1), personal_manager (P 12.2.3), organization (O 5.2.8)
    changed_at: datetime
    version: int  # the patient's changes in order, 1 for the first choice
