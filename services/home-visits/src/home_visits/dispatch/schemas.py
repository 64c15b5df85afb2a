"""Request and response bodies of the dispatch API (HV-9)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.schemas import LocalDate, RequestModel


class PlanCreate(RequestModel):
    branch_id: UUID
    date: LocalDate


class StopRead(BaseModel):
    home_visit_id: UUID
    position: int
    planned_arrival: datetime = Field(description="When the visit is planned to begin")
    leg_km: float = Field(description="Geodesic distance from the previous stop")


class RouteRead(BaseModel):
    practitioner_id: UUID
    distance_km: float = Field(description="Total, back to the branch included")
    travel_minutes: int
    stops: list[StopRead]


class PlanRead(BaseModel):
    id: UUID
    branch_id: UUID
    date: date
    version: int
    planned_at: datetime
    total_distance_km: float
    speed_kmh: float = Field(description="Travel times are distances at this speed")
    visit_minutes: int
    routes: list[RouteRead]
    unassigned: list[UUID] = Field(description="Visits that fit no doctor's shift: they stay scheduled")
