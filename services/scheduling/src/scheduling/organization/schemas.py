"""Request and response bodies of the organization module (api.md, Core shapes: Organization)."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.schemas import Instant, LocalDate, LocalTime, RequestModel

from scheduling.organization.domain import (
    CountryCode,
    Currency,
    MedicalChannel,
    PaymentTiming,
    Policy,
    QueueGroup,
    WeeklyInterval,
)

# --- writes (the demo seed today; admin endpoints later) ----------------------------------------


class BranchUpsert(RequestModel):
    id: UUID
    name: str = Field(min_length=1, max_length=200)
    address: str = Field(min_length=1, max_length=500)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    time_zone: str | None = Field(default=None, max_length=64, description="Defaults to the organization's")
    opening_hours: tuple[WeeklyInterval, ...] | None = Field(
        default=None, description="Local times per weekday; defaults to the policy's (ORG-2)"
    )
    phone_booking_hours: tuple[WeeklyInterval, ...] | None = None
    electronic_queue: bool = False
    sort_order: int = Field(default=0, ge=0)


class PolicyVersionUpsert(RequestModel):
    effective_from: LocalDate
    published_at: Instant | None = Field(default=None, description="Defaults to now when created")
    policy: Policy


class OrganizationUpsert(RequestModel):
    id: UUID
    name: str = Field(min_length=1, max_length=200)
    country: CountryCode
    currency: Currency
    time_zone: str = Field(max_length=64)
    branches: list[BranchUpsert] = Field(default_factory=list, max_length=100)
    policy_versions: list[PolicyVersionUpsert] = Field(min_length=1, max_length=100)


# --- reads --------------------------------------------------------------------------------------


class BranchRead(BaseModel):
    """Opening and phone hours are wall-clock times in the branch's `time_zone` (ORG-1, ORG-2)."""

    id: UUID
    name: str
    address: str
    lat: float | None
    lon: float | None
    time_zone: str
    opening_hours: list[WeeklyInterval]
    phone_booking_hours: list[WeeklyInterval]
    electronic_queue: bool


class PolicySummary(BaseModel):
    """The published policy version in force today (ORG-3), as patients need it."""

    effective_from: date
    preset: str
    visit_minutes_min: int
    visit_minutes_max: int
    arrive_early_minutes: int
    no_show_after_minutes: int
    medical_info_channels: list[MedicalChannel]
    payment_timing: PaymentTiming
    queue_priority: list[QueueGroup]
    home_visit_cutoff_working_day: LocalTime | None
    home_visit_cutoff_day_off: LocalTime | None
    home_visit_intake_hours: list[WeeklyInterval]
    next_change: date | None = Field(description="When a newer published version takes effect")


class OrganizationRead(BaseModel):
    id: UUID
    name: str
    country: Literal["KZ", "RU"]
    currency: Literal["KZT", "RUB"]
    time_zone: str
    branches: list[BranchRead]
    policy: PolicySummary | None
