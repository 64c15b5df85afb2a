"""Events produced by scheduling."""

from __future__ import annotations

from datetime import date, time
from uuid import UUID

from pydantic import BaseModel

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
    phone_booking_hours: list[OpeningInterval] = []
    electronic_queue: bool = False


@event("scheduling", "organization", "upserted", consumers=ALL)
class OrganizationUpserted(EventPayload):
    """An organization, its branches, opening hours and policy as now in force (ORG-1, ORG-2, ORG-3)."""

    id: UUID
    name: str
    country: str
    currency: str
    time_zone: str
    branches: list[BranchData]
    policy: dict[str, object] = {}


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
