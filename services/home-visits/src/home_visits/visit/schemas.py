"""Request and response bodies of the home-visit API (api.md § Home visits)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.schemas import LocalTime, RequestModel

from home_visits.visit.domain import FalseCallReason, VisitKind


class AddressIn(RequestModel):
    text: str = Field(min_length=1, max_length=500)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class IndicationsIn(RequestModel):
    """HV-5 (P 12.3.5): the triage answers; each defaults to false."""

    temperature_above_38: bool = False
    catarrhal_with_dyspnea: bool = False
    vomiting_or_diarrhea: bool = False
    rash: bool = False
    cannot_travel: bool = False


class HomeVisitCreate(RequestModel):
    patient_id: UUID
    address: AddressIn
    kind: VisitKind
    indications: IndicationsIn = Field(default_factory=IndicationsIn)
    enrollment_id: UUID | None = None
    # HV-1 (P 7.1): the care needs no clinic conditions and the patient's state allows it at home.
    needs_clinic_conditions: bool = False
    state_allows_home_care: bool = True


class AddressRead(BaseModel):
    text: str
    lat: float
    lon: float


class ReasonRead(BaseModel):
    rule: str
    detail: str


class BandRead(BaseModel):
    upper_km: float
    surcharge_percent: int


class ZoneRead(BaseModel):
    inside_base_zone: bool = Field(description="Home care included (BIL-15)")
    distance_km: float | None = Field(description="From the base zone, to 0.1 km; 0 inside it")
    band: BandRead | None = Field(description="The distance band charged (BIL-16); null inside the base zone")


class BillingAnswer(BaseModel):
    """What billing said (architecture.md: the one synchronous call); `reachable` false when it
    did not answer in time, and the coverage is then home-visits' own."""

    reachable: bool
    covered: bool | None = None
    reasons: list[ReasonRead] = Field(default_factory=list)
    detail: str | None = None


class CoverageRead(BaseModel):
    covered: bool | None = Field(description="Covered by the program; null when billing could not confirm")
    reasons: list[ReasonRead]
    source: Literal["billing", "home_visits"]
    zone: ZoneRead
    billing: BillingAnswer


class WindowRead(BaseModel):
    """An agreed visit interval in the branch's local wall-clock time (HV-3, HV-8)."""

    start: LocalTime
    end: LocalTime


class HomeVisitRead(BaseModel):
    id: UUID
    organization_id: UUID
    patient_id: UUID
    kind: VisitKind
    status: str
    scheduled_for: date
    branch_id: UUID
    enrollment_id: UUID | None
    address: AddressRead
    indications: dict[str, bool]
    coverage: CoverageRead
    window: WindowRead | None = Field(description="The agreed interval of a program address (HV-3, HV-8)")
    practitioner_id: UUID | None
    route_position: int | None
    planned_arrival: datetime | None
    requested_at: datetime
    en_route_at: datetime | None
    arrived_at: datetime | None
    preparation_deadline: datetime | None = Field(description="HV-7: arrival + 15 minutes")
    closed_at: datetime | None
    false_call_reason: FalseCallReason | None
    false_call_waived: bool | None
    close_reason: str | None
    postponed_from_id: UUID | None
    next_visit_id: UUID | None


class AssignBody(RequestModel):
    practitioner_id: UUID


class CompleteBody(RequestModel):
    samples_not_ready: bool = Field(
        default=False, description="Samples were not ready at collection (BIL-15)"
    )


class FalseCallBody(RequestModel):
    reason: FalseCallReason
    waived: bool = Field(default=False, description="The organization waives the charge (HV-7)")


class ReasonBody(RequestModel):
    reason: str = Field(min_length=1, max_length=500)
