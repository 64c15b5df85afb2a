"""HTTP layer of the zone module: parse, authorize, call the service, map to the schema."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter

from clinic_common.auth import OrganizationForbidden, Principal
from clinic_common.db import SessionDep
from clinic_common.openapi import problems, unknown_entity
from clinic_common.schemas import Page

from home_visits import access
from home_visits.zone import service
from home_visits.zone.domain import AddressOutsideServiceZones, GeoPoint, ZoneDecision
from home_visits.zone.models import Zone
from home_visits.zone.schemas import BandRead, ZoneCheckCreate, ZoneCheckRead, ZoneRead

router = APIRouter(tags=["zones"])

ZoneReaderDep = Annotated[Principal, access.READ_ZONES.dependency()]


def to_read(z: Zone) -> ZoneRead:
    return ZoneRead(
        id=z.id,
        organization_id=z.organization_id,
        branch_id=z.branch_id,
        kind=z.kind,
        name=z.name,
        order=z.order,
        polygon=[(lon, lat) for lon, lat in z.polygon],
    )


def to_check_read(d: ZoneDecision) -> ZoneCheckRead:
    band = d.band
    return ZoneCheckRead(
        branch_id=d.branch_id,
        zone_id=d.zone_id,
        inside_base_zone=d.inside_base_zone,
        distance_km=d.distance_km,
        band=BandRead(upper_km=band.upper_km, surcharge_percent=band.surcharge_percent) if band else None,
        served=d.served,
    )


@router.get(
    "/v1/zones",
    response_model=Page[ZoneRead],
    responses=problems(OrganizationForbidden, unknown_entity("organization")),
)
async def list_zones(organization_id: UUID, session: SessionDep, principal: ZoneReaderDep) -> Page[ZoneRead]:
    """The organization's base zone and branch zones in their order (ORG-2, HV-4, BIL-15)."""
    zones = await service.list_zones(session, principal, organization_id)
    return Page[ZoneRead](items=[to_read(z) for z in zones])


@router.post(
    "/v1/zone-checks",
    response_model=ZoneCheckRead,
    responses=problems(OrganizationForbidden, unknown_entity("organization"), AddressOutsideServiceZones),
)
async def check_zone(body: ZoneCheckCreate, session: SessionDep, principal: ZoneReaderDep) -> ZoneCheckRead:
    """Which branch serves an address and in which distance band (HV-4, BIL-15, BIL-16);
    422 `address_outside_service_zones` beyond the last band."""
    decision = await service.check_zone(
        session, principal, body.organization_id, GeoPoint(lat=body.lat, lon=body.lon)
    )
    return to_check_read(decision)
