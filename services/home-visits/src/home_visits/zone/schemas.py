"""Request and response bodies of the zone API."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.schemas import RequestModel


class ZoneRead(BaseModel):
    id: UUID
    organization_id: UUID
    branch_id: UUID | None
    kind: str  # branch, base
    name: str
    order: int
    polygon: list[tuple[float, float]] = Field(description="Closed ring of [lon, lat] pairs")


class ZoneCheckCreate(RequestModel):
    organization_id: UUID
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class BandRead(BaseModel):
    upper_km: float
    surcharge_percent: int


class ZoneCheckRead(BaseModel):
    """Where an address stands (HV-4, BIL-15, BIL-16)."""

    branch_id: UUID | None = Field(description="The branch that serves the address (HV-4)")
    zone_id: UUID | None = Field(description="The branch zone containing it; null for an outlying address")
    inside_base_zone: bool = Field(description="Home care included (BIL-15)")
    distance_km: float | None = Field(description="From the base zone, to 0.1 km; 0 inside it")
    band: BandRead | None = Field(description="The distance band charged (BIL-16); null inside the base zone")
    served: bool
