"""Events produced by records."""

from __future__ import annotations

from datetime import date
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
