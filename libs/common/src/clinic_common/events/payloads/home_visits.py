"""Events produced by home-visits."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from clinic_common.events.catalog import EventPayload, event


@event("home_visits", "zone", "upserted", consumers=("billing",))
class ZoneUpserted(EventPayload):
    """A branch's home-care service zone (ORG-2, HV-4) or the organization's base zone (BIL-15)."""

    id: UUID
    organization_id: UUID
    branch_id: UUID | None
    name: str
    kind: str  # branch, base
    order: int
    polygon: list[tuple[float, float]]  # (lon, lat) ring


class _VisitData(EventPayload):
    home_visit_id: UUID
    organization_id: UUID
    patient_id: UUID
    branch_id: UUID
    kind: str  # planned, urgent
    scheduled_for: date
    enrollment_id: UUID | None = None


@event("home_visits", "home_visit", "requested", consumers=("billing", "records"))
class HomeVisitRequested(_VisitData):
    """A home visit was requested with its indications (HV-2, HV-3, HV-5)."""


@event("home_visits", "home_visit", "scheduled", consumers=("billing", "records"))
class HomeVisitScheduled(_VisitData):
    """The visit got its date (HV-3)."""


@event("home_visits", "home_visit", "assigned", consumers=("records",))
class HomeVisitAssigned(_VisitData):
    """Dispatch assigned a home-care doctor and a place in the route (HV-9)."""

    practitioner_id: UUID
    route_position: int


@event("home_visits", "home_visit", "en_route", consumers=("records",))
class HomeVisitEnRoute(_VisitData):
    """The doctor is on the way (HV-9)."""


@event("home_visits", "home_visit", "arrived", consumers=("records",))
class HomeVisitArrived(_VisitData):
    """The doctor arrived; the 15-minute preparation clock starts (HV-7)."""

    arrived_at: datetime


@event("home_visits", "home_visit", "completed", consumers=("billing", "records"))
class HomeVisitCompleted(_VisitData):
    """The visit was made (HV-9); billing charges what is not covered (BIL-15)."""

    practitioner_id: UUID
    distance_band_km: int | None = None


@event("home_visits", "home_visit", "false_call", consumers=("billing", "records"))
class HomeVisitFalseCall(_VisitData):
    """The visit was a false call, charged unless waived (HV-7, BIL-15)."""

    reason: str
    waived: bool = False


@event("home_visits", "home_visit", "postponed", consumers=("records",))
class HomeVisitPostponed(_VisitData):
    """Force majeure moved the visit to the next day; the patient is told (HV-6)."""

    reason: str


@event("home_visits", "home_visit", "cancelled", consumers=("billing", "records"))
class HomeVisitCancelled(_VisitData):
    """The visit was cancelled."""

    reason: str


@event("home_visits", "biomaterial", "not_ready", consumers=("billing",))
class BiomaterialNotReady(EventPayload):
    """Samples were not ready at a home collection; charged (BIL-15)."""

    home_visit_id: UUID
    patient_id: UUID
    organization_id: UUID


@event("home_visits", "address_change", "accepted", consumers=("billing", "records"))
class AddressChangeAccepted(EventPayload):
    """A program home-care address changed (HV-8); a band change triggers BIL-16."""

    enrollment_id: UUID
    patient_id: UUID
    organization_id: UUID
    old_band_km: int | None
    new_band_km: int | None
    effective_on: date
