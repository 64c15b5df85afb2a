"""Service zones, the base zone and distance bands as plain Python (ORG-2, HV-4, BIL-15, BIL-16).

- ORG-2: a branch has a home-care service zone, a polygon.
- HV-4: the visit goes to the branch whose zone contains the address; a point on a border belongs
  to the first zone in the organization's order; an address outside every branch zone but within
  the served distance bands goes to the organization's designated branch for outlying addresses;
  beyond them it is refused.
- BIL-15: inside the organization's base zone (MKAD for the P preset) home care is included.
- BIL-16: outside it, bands by distance from the base zone: (0, 15] km 15 %, (15, 30] km 30 %,
  (30, 50] km 50 % (policy data); upper bounds inclusive; beyond the last band not served.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from clinic_common.errors import AppError

from home_visits.zone.geo import InvalidRing, Ring, close_ring, covers, distance_outside_km

DISTANCE_PRECISION_DECIMALS = 1
"""Distances are measured to 0.1 km, and bands compare the rounded value: what the customer is
shown is what decides the surcharge (BIL-16)."""
MIN_OUTSIDE_KM = 0.1


class ZoneKind(StrEnum):
    BRANCH = "branch"  # a branch's home-care service zone (ORG-2, HV-4)
    BASE = "base"  # the organization's base zone, home care included (BIL-15)


class InvalidZonePolygon(AppError):
    status = 422
    code = "invalid_zone_polygon"
    title = "The zone polygon is not a simple polygon of [lon, lat] points"
    rule = "ORG-2"


class InvalidZone(AppError):
    status = 422
    code = "invalid_zone"
    title = "A branch zone names its branch; the base zone names none"
    rule = "HV-4"


class InvalidDistanceBands(AppError):
    status = 422
    code = "invalid_distance_bands"
    title = "Distance bands need increasing positive upper bounds and non-negative surcharges"
    rule = "BIL-16"


class AddressOutsideServiceZones(AppError):
    status = 422
    code = "address_outside_service_zones"
    title = "The address is beyond the organization's service zones and distance bands"
    rule = "HV-4"


@dataclass(frozen=True, slots=True)
class GeoPoint:
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class ZoneShape:
    """A zone as the rules see it; `ring` is closed, (lon, lat)."""

    id: UUID
    organization_id: UUID
    kind: ZoneKind
    name: str
    order: int
    branch_id: UUID | None
    ring: Ring


@dataclass(frozen=True, slots=True)
class DistanceBand:
    """Addresses more than the previous band's bound and at most `upper_km` from the base zone."""

    upper_km: float
    surcharge_percent: int


INCLUDED = DistanceBand(upper_km=0.0, surcharge_percent=0)
"""Inside the base zone: home care included, no surcharge (BIL-15)."""


@dataclass(frozen=True, slots=True)
class ZoneMatch:
    zone_id: UUID
    branch_id: UUID | None
    order: int


@dataclass(frozen=True, slots=True)
class ZoneDecision:
    """Where an address stands (HV-4, BIL-15, BIL-16).

    `branch_id` serves the address: the first branch zone containing it, or else the designated
    branch for outlying addresses (then `zone_id` is None). `distance_km` is 0 inside the base
    zone and None when the organization has no base zone. `band` is None inside the base zone
    (included) and beyond the last band (then `served` is False)."""

    branch_id: UUID | None
    zone_id: UUID | None
    inside_base_zone: bool
    distance_km: float | None
    band: DistanceBand | None
    served: bool


def make_zone(
    *,
    id: UUID,
    organization_id: UUID,
    kind: ZoneKind | str,
    name: str,
    order: int,
    branch_id: UUID | None,
    polygon: Sequence[Sequence[float]],
) -> ZoneShape:
    """Validate a zone (ORG-2: a simple polygon; a branch zone names its branch, the base none)."""
    zone_kind = ZoneKind(kind)
    if (zone_kind is ZoneKind.BRANCH) != (branch_id is not None):
        raise InvalidZone()
    try:
        ring = close_ring(polygon)
    except InvalidRing as exc:
        raise InvalidZonePolygon(str(exc)) from exc
    return ZoneShape(
        id=id,
        organization_id=organization_id,
        kind=zone_kind,
        name=name,
        order=order,
        branch_id=branch_id,
        ring=ring,
    )


def check_bands(bands: Sequence[DistanceBand]) -> tuple[DistanceBand, ...]:
    """BIL-16 policy data: upper bounds positive and strictly increasing, surcharges non-negative."""
    ordered = tuple(sorted(bands, key=lambda b: b.upper_km))
    previous = 0.0
    for band in ordered:
        if band.upper_km <= previous or band.surcharge_percent < 0:
            raise InvalidDistanceBands()
        previous = band.upper_km
    return ordered


def locate(point: GeoPoint, zones: Sequence[ZoneShape]) -> ZoneMatch | None:
    """HV-4: the first branch zone, in the organization's order, containing the point.

    Borders are included, so a point on the border of two zones belongs to the first of them.
    Base zones are ignored here: they decide charging, not the branch."""
    branch_zones = sorted((z for z in zones if z.kind is ZoneKind.BRANCH), key=lambda z: (z.order, str(z.id)))
    for zone in branch_zones:
        if covers(zone.ring, point.lon, point.lat):
            return ZoneMatch(zone_id=zone.id, branch_id=zone.branch_id, order=zone.order)
    return None


def distance_from_base_km(point: GeoPoint, base: ZoneShape) -> float:
    """BIL-15/BIL-16: km from the base zone's boundary, to 0.1 km; 0 only inside or on the boundary
    (a point just outside counts as 0.1 km, so it is never taken for an included address)."""
    raw = distance_outside_km(base.ring, point.lon, point.lat)
    if raw <= 0:
        return 0.0
    return max(round(raw, DISTANCE_PRECISION_DECIMALS), MIN_OUTSIDE_KM)


def distance_band(km: float, bands: Sequence[DistanceBand]) -> DistanceBand | None:
    """BIL-16: the band of a distance from the base zone; upper bounds inclusive.

    0 km (inside the base zone, BIL-15) is in no band: the zero band, 0 %, is returned.
    Beyond the last band: None (not served)."""
    if km <= 0:
        return INCLUDED
    for band in check_bands(bands):
        if km <= band.upper_km:
            return band
    return None


def base_zone_of(zones: Sequence[ZoneShape]) -> ZoneShape | None:
    return next((z for z in zones if z.kind is ZoneKind.BASE), None)


def check_address(
    point: GeoPoint,
    zones: Sequence[ZoneShape],
    bands: Sequence[DistanceBand],
    outlying_branch_id: UUID | None,
) -> ZoneDecision:
    """HV-4 with BIL-15/BIL-16: which branch serves the address, and in which distance band.

    An organization without a base zone serves its branch zones only (no bands to charge by).
    An address within the bands needs a branch: its zone's, or the designated outlying one."""
    match = locate(point, zones)
    base = base_zone_of(zones)
    if base is None:
        return ZoneDecision(
            branch_id=match.branch_id if match else None,
            zone_id=match.zone_id if match else None,
            inside_base_zone=False,
            distance_km=None,
            band=None,
            served=match is not None,
        )
    km = distance_from_base_km(point, base)
    band = distance_band(km, bands)
    inside = km <= 0
    branch_id = match.branch_id if match else outlying_branch_id
    return ZoneDecision(
        branch_id=branch_id,
        zone_id=match.zone_id if match else None,
        inside_base_zone=inside,
        distance_km=km,
        band=None if inside else band,
        served=band is not None and branch_id is not None,
    )


def require_served(decision: ZoneDecision) -> ZoneDecision:
    """HV-4: an address beyond the last band (or with no branch to serve it) gets a clear refusal."""
    if not decision.served:
        raise AddressOutsideServiceZones(
            "The address is outside every service zone and beyond the last distance band",
            distance_km=decision.distance_km,
        )
    return decision
