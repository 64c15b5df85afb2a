"""Events produced by records."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from clinic_common.events.catalog import EventPayload, event

ALL = ("scheduling", "billing", "home_visits")


class _PatientData(EventPayload):
    patient_id: UUID
    organization_id: UUID
    last_name: str
    first_name: str
    middle_name: str | None = None
    birth_date: date
    sex: str | None = None
    iin: str | None = None
    phone: str
    address_text: str
    lat: float | None = None
    lon: float | None = None


@event("records", "patient", "registered", consumers=ALL)
class PatientRegistered(_PatientData):
    """A patient was registered with identity data and personal-data consent (REC-1, REC-2)."""


@event("records", "patient", "updated", consumers=ALL)
class PatientUpdated(_PatientData):
    """A patient's personal data changed (REC-19)."""


@event("records", "referral", "issued", consumers=("scheduling", "billing"))
class ReferralIssued(EventPayload):
    """The attending doctor issued a referral into the card (REC-11)."""

    referral_id: UUID
    patient_id: UUID
    organization_id: UUID
    service_code: str
    issued_by: UUID
    issued_on: date
    valid_until: date | None = None


@event("records", "referral", "used", consumers=("scheduling", "billing"))
class ReferralUsed(EventPayload):
    """A booking consumed the referral (REC-11)."""

    referral_id: UUID
    patient_id: UUID
    appointment_id: UUID | None = None


@event("records", "consent", "recorded", consumers=("scheduling",))
class ConsentRecorded(EventPayload):
    """A consent or refusal was recorded with its signer (REC-2, REC-9, REC-10)."""

    consent_id: UUID
    patient_id: UUID
    kind: str
    given: bool
    signed_by: UUID


@event("records", "health_group", "changed", consumers=("billing",))
class HealthGroupChanged(EventPayload):
    """The patient's health group changed (REC-12 -> BIL-17)."""

    patient_id: UUID
    organization_id: UUID
    health_group: str
    established_on: date


@event("records", "complaint", "decided", consumers=("billing",))
class ComplaintDecided(EventPayload):
    """A complaint was answered; an upheld one may order a refund (REC-20, BIL-9)."""

    complaint_id: UUID
    patient_id: UUID
    upheld: bool
    refund_amount: str | None = None
    refund_currency: str | None = None
    invoice_id: UUID | None = None


@event("records", "results", "published", consumers=("scheduling",))
class ResultsPublished(EventPayload):
    """Laboratory or instrumental results were published to the cabinet (REC-18)."""

    result_id: UUID
    patient_id: UUID
    published_at: datetime


@event("records", "patient", "service_refused", consumers=("scheduling", "billing", "home_visits"))
class PatientServiceRefused(EventPayload):
    """The organization refused further service to the patient for conduct (REC-22, SCH-13)."""

    patient_id: UUID
    organization_id: UUID
    refused_from: date
    reason: str


class _CabinetAccessData(EventPayload):
    """The cabinet's whole state after the change, so consumers mirror it by `sequence` (REC-19)."""

    patient_id: UUID
    organization_id: UUID
    granted: bool
    restricted: bool
    changed_at: datetime


@event("records", "cabinet", "access_granted", consumers=("scheduling", "billing", "home_visits"))
class CabinetAccessGranted(_CabinetAccessData):
    """The registry opened the patient's personal cabinet in person, on an identity document (REC-19)."""


@event("records", "cabinet", "access_restricted", consumers=("scheduling", "billing", "home_visits"))
class CabinetAccessRestricted(_CabinetAccessData):
    """The organization restricted the patient's personal cabinet (REC-19, P 10.7)."""


@event("records", "cabinet", "access_restored", consumers=("scheduling", "billing", "home_visits"))
class CabinetAccessRestored(_CabinetAccessData):
    """The organization lifted its restriction of the patient's personal cabinet (REC-19)."""
