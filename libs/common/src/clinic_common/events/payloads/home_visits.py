"""Events produced by home-visits."""

from __future__ import annotations

from datetime import date, datetime, time
from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.events.catalog import EventPayload, event


class DistanceBandData(BaseModel):
    """BIL-16: addresses more than the previous band's bound and at most `upper_km` from the base
    zone pay `surcharge_percent` on the program price; past the last band none is served."""

    upper_km: float
    surcharge_percent: int


@event("home_visits", "zone", "upserted", consumers=("billing",))
class ZoneUpserted(EventPayload):
    """A home-care zone (ORG-2, HV-4) or base zone (BIL-15), with the distance bands (BIL-16).

    The bands are the organization's (home-visits owns them; others learn them here), as is its
    branch for outlying addresses (HV-4). `active` false: the zone was removed."""

    id: UUID
    organization_id: UUID
    branch_id: UUID | None
    name: str
    kind: str  # branch, base
    order: int
    polygon: list[tuple[float, float]]  # (lon, lat) ring
    distance_bands: list[DistanceBandData] = Field(default_factory=list)
    outlying_branch_id: UUID | None = None
    active: bool = True


class ZoneStanding(BaseModel):
    """Where an address stands (HV-4, BIL-15, BIL-16): 0 km and no band inside the base zone."""

    inside_base_zone: bool
    distance_km: float | None = None
    band_upper_km: float | None = None
    surcharge_percent: int | None = None


class Indications(BaseModel):
    """The triage answers of HV-5 (P 12.3.5)."""

    temperature_above_38: bool = False
    catarrhal_with_dyspnea: bool = False
    vomiting_or_diarrhea: bool = False
    rash: bool = False
    cannot_travel: bool = False


class _VisitData(EventPayload):
    home_visit_id: UUID
    organization_id: UUID
    patient_id: UUID
    branch_id: UUID
    kind: str  # planned, urgent
    scheduled_for: date
    enrollment_id: UUID | None = None
    practitioner_id: UUID | None = None
    zone: ZoneStanding | None = None


@event("home_visits", "home_visit", "requested", consumers=("billing", "records"))
class HomeVisitRequested(_VisitData):
    """A home visit was requested with its indications (HV-2, HV-3, HV-5)."""

    indications: Indications = Field(default_factory=Indications)
    requested_at: datetime | None = None
    covered: bool | None = None  # the coverage shown to the caller (None: undecided)


@event("home_visits", "home_visit", "scheduled", consumers=("billing", "records"))
class HomeVisitScheduled(_VisitData):
    """The visit got its date (HV-3); a postponed visit's successor is scheduled for the next day."""

    postponed_from: UUID | None = None
    window_start: time | None = None  # the agreed interval of a program address (HV-3, HV-8)
    window_end: time | None = None


@event("home_visits", "home_visit", "assigned", consumers=("records",))
class HomeVisitAssigned(_VisitData):
    """Dispatch assigned a home-care doctor and a place in the route (HV-9)."""

    practitioner_id: UUID
    route_position: int
    planned_arrival: datetime | None = None


@event("home_visits", "home_visit", "en_route", consumers=("records",))
class HomeVisitEnRoute(_VisitData):
    """The doctor is on the way (HV-9)."""


@event("home_visits", "home_visit", "arrived", consumers=("records",))
class HomeVisitArrived(_VisitData):
    """The doctor arrived; the 15-minute preparation clock starts (HV-7)."""

    arrived_at: datetime
    preparation_deadline: datetime | None = None


@event("home_visits", "home_visit", "completed", consumers=("billing", "records"))
class HomeVisitCompleted(_VisitData):
    """The visit was made (HV-9): records writes the home encounter, billing charges (BIL-15).

    Billing charges what is not covered: outside the base zone, by its band."""

    practitioner_id: UUID
    distance_band_km: float | None = None
    arrived_at: datetime | None = None
    completed_at: datetime | None = None
    service_code: str | None = None  # the catalogue service rendered (home_visit_planned, ...)


@event("home_visits", "home_visit", "false_call", consumers=("billing", "records"))
class HomeVisitFalseCall(_VisitData):
    """The visit was a false call, charged at the price list unless waived (HV-7, BIL-15)."""

    reason: str
    waived: bool = False
    recorded_at: datetime | None = None
    service_code: str | None = None  # home_visit_false_call


@event("home_visits", "home_visit", "postponed", consumers=("records",))
class HomeVisitPostponed(_VisitData):
    """Force majeure moved the visit to the next day; records tells the patient (HV-6)."""

    reason: str
    new_date: date | None = None
    next_home_visit_id: UUID | None = None
    patient_phone: str | None = None


@event("home_visits", "home_visit", "cancelled", consumers=("billing", "records"))
class HomeVisitCancelled(_VisitData):
    """The visit was cancelled."""

    reason: str


@event("home_visits", "biomaterial", "not_ready", consumers=("billing",))
class BiomaterialNotReady(EventPayload):
    """Samples were not ready at a home collection; charged (BIL-15, P 12.3.4)."""

    home_visit_id: UUID
    patient_id: UUID
    organization_id: UUID
    enrollment_id: UUID | None = None
    recorded_at: datetime | None = None


class ProgramAddressData(BaseModel):
    """One home-care address of a program with its agreed interval (HV-8) and distance band."""

    id: UUID
    text: str
    lat: float
    lon: float
    window_start: time
    window_end: time
    zone: ZoneStanding | None = None


@event("home_visits", "address_change", "accepted", consumers=("billing", "records"))
class AddressChangeAccepted(EventPayload):
    """A program home-care address changed (HV-8), recorded as a supplementary agreement (P 12.6.5).

    `band_changed`: an address moved outside the base zone or into another distance band, so
    billing may propose the BIL-16 surcharge at the price list in force on `filed_on`. The bands
    are those of the program's farthest address, before and after (None: inside the base zone)."""

    enrollment_id: UUID
    patient_id: UUID
    organization_id: UUID
    old_band_km: float | None
    new_band_km: float | None
    effective_on: date
    old_surcharge_percent: int | None = None
    new_surcharge_percent: int | None = None
    band_changed: bool = False
    filed_on: date | None = None
    agreement_id: UUID | None = None
    agreement_number: str | None = None
    action: str | None = None  # add, replace, drop, change_interval
    addresses: list[ProgramAddressData] = Field(default_factory=list)


class _DeteriorationData(EventPayload):
    report_id: UUID
    organization_id: UUID
    patient_id: UUID
    practitioner_id: UUID | None = None  # the attending doctor it was routed to
    reported_at: datetime
    acknowledge_by: datetime | None = None


@event("home_visits", "deterioration_report", "filed", consumers=("records",))
class DeteriorationReportFiled(_DeteriorationData):
    """A patient reported that their state worsened; routed to the attending doctor (HV-10)."""

    description: str


@event("home_visits", "deterioration_report", "escalated", consumers=("records",))
class DeteriorationReportEscalated(_DeteriorationData):
    """The report went to the call centre: not acknowledged in time, or no attending doctor (HV-10)."""

    escalated_at: datetime
    reason: str  # not_acknowledged, no_attending_doctor


@event("home_visits", "deterioration_report", "acknowledged", consumers=("records",))
class DeteriorationReportAcknowledged(_DeteriorationData):
    """The attending doctor or the call centre took the report (HV-10)."""

    acknowledged_at: datetime
    acknowledged_by: str  # attending_doctor, call_center
