"""The demo zones of both presets: valid polygons, branch zones covering the base zone, and where
well-known places fall (ORG-2, HV-4, BIL-15, BIL-16)."""

from __future__ import annotations

from uuid import UUID

import pytest
import shapely
from shapely.geometry import Polygon

from clinic_common.demo import (
    ALMATY_BRANCH_ABAY_ID,
    ALMATY_BRANCH_DOSTYK_ID,
    MOSCOW_BRANCH_ARBAT_ID,
    MOSCOW_BRANCH_MARYINO_ID,
    ORG_ALMATY_ID,
    ORG_MOSCOW_ID,
)

from home_visits.demo import DEMO_BANDS, DEMO_ORGANIZATIONS, DemoOrganization, demo_zone_shapes, zone_id
from home_visits.zone.demo_zones import ALMATY_FILE, MOSCOW_FILE, demo_features, mkad
from home_visits.zone.domain import (
    AddressOutsideServiceZones,
    GeoPoint,
    ZoneDecision,
    ZoneKind,
    check_address,
    require_served,
)
from home_visits.zone.geo import GEOD, destination, distance_outside_km

MKAD = mkad()[:-1]
MOSCOW_SPLIT_VIA = (37.6800, 55.6900)  # the inner vertex of the Arbat/Maryino border (near Pechatniki)

pytestmark = pytest.mark.unit

ORGS = {org.id: org for org in DEMO_ORGANIZATIONS}


def decide(org_id: UUID, lat: float, lon: float) -> ZoneDecision:
    org = ORGS[org_id]
    return check_address(
        GeoPoint(lat=lat, lon=lon), demo_zone_shapes(org), DEMO_BANDS, org.outlying_branch_id
    )


@pytest.mark.parametrize("org", DEMO_ORGANIZATIONS, ids=lambda o: str(o.id))
def test_ORG_2_demo_branch_zones_partition_the_base_zone(org: DemoOrganization) -> None:
    shapes = demo_zone_shapes(org)
    base = Polygon(next(s.ring for s in shapes if s.kind is ZoneKind.BASE))
    branches = [Polygon(s.ring) for s in shapes if s.kind is ZoneKind.BRANCH]
    assert len(branches) == 2
    assert all(p.is_valid for p in [base, *branches])
    union = shapely.union_all(branches)
    assert union.symmetric_difference(base).area < 1e-12
    assert branches[0].intersection(branches[1]).area < 1e-12


@pytest.mark.parametrize("path", [MOSCOW_FILE, ALMATY_FILE], ids=lambda p: p.name)
def test_ORG_2_demo_geojson_is_marked_as_demo_data(path: object) -> None:
    import json
    from pathlib import Path

    assert isinstance(path, Path)
    document = json.loads(path.read_text())
    assert document["demo"] is True and "DEMO DATA" in document["description"]
    assert all(f["properties"]["demo"] is True for f in document["features"])
    assert {f.kind for f in demo_features(path)} == {ZoneKind.BASE, ZoneKind.BRANCH}


def test_ORG_2_demo_ids_are_fixed() -> None:
    assert zone_id(ORG_MOSCOW_ID, "base") == zone_id(ORG_MOSCOW_ID, "base")
    assert zone_id(ORG_MOSCOW_ID, "base") != zone_id(ORG_ALMATY_ID, "base")
    ids = [s.id for org in DEMO_ORGANIZATIONS for s in demo_zone_shapes(org)]
    assert len(set(ids)) == len(ids) == 6


def test_BIL_15_mkad_outline_has_about_twenty_points_on_the_ring() -> None:
    assert 16 <= len(MKAD) <= 24
    for lon, lat in MKAD:  # every point within the MKAD's extent
        assert 37.36 <= lon <= 37.85
        assert 55.57 <= lat <= 55.92


@pytest.mark.parametrize(
    ("lat", "lon", "branch"),
    [
        (55.7520, 37.5930, MOSCOW_BRANCH_ARBAT_ID),  # Arbat
        (55.7520, 37.6175, MOSCOW_BRANCH_ARBAT_ID),  # the Kremlin
        (55.8700, 37.6000, MOSCOW_BRANCH_ARBAT_ID),  # north, inside MKAD
        (55.7000, 37.4200, MOSCOW_BRANCH_ARBAT_ID),  # west, inside MKAD
        (55.6500, 37.7440, MOSCOW_BRANCH_MARYINO_ID),  # Maryino
        (55.7050, 37.7900, MOSCOW_BRANCH_MARYINO_ID),  # Kuzminki
    ],
)
def test_HV_4_moscow_addresses_inside_mkad(lat: float, lon: float, branch: UUID) -> None:
    decision = decide(ORG_MOSCOW_ID, lat, lon)
    assert decision.branch_id == branch
    assert decision.inside_base_zone
    assert decision.band is None
    assert decision.served


def test_HV_4_moscow_point_on_the_branch_border_belongs_to_arbat() -> None:
    lon, lat = MOSCOW_SPLIT_VIA
    assert decide(ORG_MOSCOW_ID, lat, lon).branch_id == MOSCOW_BRANCH_ARBAT_ID


def test_HV_4_moscow_point_inside_the_middle_of_the_border_edge_belongs_to_arbat() -> None:
    # Halfway along the border from the inner vertex to MKAD km 32 (the south): both zones
    # contain it; Arbat is first in the organization's order.
    lon = (MOSCOW_SPLIT_VIA[0] + 37.6167) / 2
    lat = (MOSCOW_SPLIT_VIA[1] + 55.5747) / 2
    decision = decide(ORG_MOSCOW_ID, lat, lon)
    assert decision.branch_id == MOSCOW_BRANCH_ARBAT_ID
    assert decision.zone_id == zone_id(ORG_MOSCOW_ID, "arbat")


def test_HV_4_moscow_outside_every_zone_goes_to_the_outlying_branch() -> None:
    decision = decide(ORG_MOSCOW_ID, 55.9100, 37.7300)  # Mytishchi, just north-east of MKAD
    assert (decision.zone_id, decision.branch_id, decision.inside_base_zone) == (
        None,
        MOSCOW_BRANCH_ARBAT_ID,
        False,
    )


def beyond_mkad(km: float) -> tuple[float, float]:
    """A point `km` (geodesic) outside the demo MKAD, due east of the middle of its km 1-8 chord."""
    (lon1, lat1), (lon2, lat2) = MKAD[0], MKAD[1]
    mid_lon, mid_lat = (lon1 + lon2) / 2, (lat1 + lat2) / 2
    azimuth, _, _ = GEOD.inv(lon1, lat1, lon2, lat2)
    return destination(mid_lon, mid_lat, azimuth - 90.0, km)  # to the left of a southward chord: east


@pytest.mark.parametrize(
    ("km", "percent"),
    [(14.9, 15), (15.1, 30), (29.9, 30), (30.1, 50)],
)
def test_BIL_16_mkad_distance_zones(km: float, percent: int) -> None:
    lon, lat = beyond_mkad(km)
    assert distance_outside_km(mkad(), lon, lat) == pytest.approx(km, abs=0.01)
    decision = decide(ORG_MOSCOW_ID, lat, lon)
    assert decision.distance_km == pytest.approx(km, abs=0.01)
    assert decision.band is not None and decision.band.surcharge_percent == percent
    assert (decision.branch_id, decision.served) == (MOSCOW_BRANCH_ARBAT_ID, True)


def test_BIL_16_mkad_50_1_km_is_beyond_the_last_band_and_refused() -> None:
    lon, lat = beyond_mkad(50.1)
    decision = decide(ORG_MOSCOW_ID, lat, lon)
    assert decision.distance_km == pytest.approx(50.1, abs=0.01)
    assert decision.band is None and not decision.served
    with pytest.raises(AddressOutsideServiceZones):
        require_served(decision)


@pytest.mark.parametrize(
    ("lat", "lon", "percent"),
    [
        (55.8970, 37.4297, 15),  # Khimki, just outside the north-west of MKAD
        (55.4312, 37.5447, 30),  # Podolsk, about 16 km south
        (55.8550, 38.4420, 50),  # Noginsk, about 37 km east
    ],
)
def test_BIL_16_moscow_outlying_addresses_go_to_arbat_with_a_surcharge(
    lat: float, lon: float, percent: int
) -> None:
    decision = decide(ORG_MOSCOW_ID, lat, lon)
    assert decision.zone_id is None
    assert decision.branch_id == MOSCOW_BRANCH_ARBAT_ID
    assert not decision.inside_base_zone
    assert decision.band is not None
    assert decision.band.surcharge_percent == percent
    assert decision.served


def test_HV_4_moscow_address_beyond_50_km_is_refused() -> None:
    decision = decide(ORG_MOSCOW_ID, 56.8587, 35.9176)  # Tver
    assert not decision.served
    assert decision.distance_km is not None and decision.distance_km > 50


@pytest.mark.parametrize(
    ("lat", "lon", "branch"),
    [
        (43.2330, 76.9570, ALMATY_BRANCH_DOSTYK_ID),  # Dostyk avenue
        (43.2400, 76.8800, ALMATY_BRANCH_ABAY_ID),  # Abay avenue, west
        (43.3520, 77.0400, ALMATY_BRANCH_DOSTYK_ID),  # the airport, north-east
    ],
)
def test_HV_4_almaty_addresses_in_the_city(lat: float, lon: float, branch: UUID) -> None:
    decision = decide(ORG_ALMATY_ID, lat, lon)
    assert (decision.branch_id, decision.inside_base_zone, decision.served) == (branch, True, True)


def test_BIL_16_almaty_outlying_address_goes_to_dostyk() -> None:
    decision = decide(ORG_ALMATY_ID, 43.2006, 76.6236)  # Kaskelen, west of the city
    assert decision.branch_id == ALMATY_BRANCH_DOSTYK_ID
    assert decision.band is not None and decision.band.surcharge_percent == 15


def test_HV_4_almaty_far_address_is_refused() -> None:
    assert not decide(ORG_ALMATY_ID, 45.0170, 78.3800).served  # Taldykorgan
