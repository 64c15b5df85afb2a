"""ORG-2, HV-4, BIL-15, BIL-16: zones, the base zone and distance bands as pure rules."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from home_visits.zone.domain import (
    INCLUDED,
    AddressOutsideServiceZones,
    DistanceBand,
    GeoPoint,
    InvalidDistanceBands,
    InvalidZone,
    InvalidZonePolygon,
    ZoneKind,
    ZoneShape,
    check_address,
    check_bands,
    distance_band,
    distance_from_base_km,
    locate,
    make_zone,
    require_served,
)
from home_visits.zone.geo import destination, distance_outside_km, geodesic_km

pytestmark = pytest.mark.unit

ORG = UUID("00000000-0000-4000-8000-0000000000aa")
WEST_BRANCH = UUID("00000000-0000-4000-8000-0000000000b1")
EAST_BRANCH = UUID("00000000-0000-4000-8000-0000000000b2")
OUTLYING_BRANCH = UUID("00000000-0000-4000-8000-0000000000b9")

BANDS = (
    DistanceBand(upper_km=15, surcharge_percent=15),
    DistanceBand(upper_km=30, surcharge_percent=30),
    DistanceBand(upper_km=50, surcharge_percent=50),
)

# A base zone 1° x 1° around Moscow's latitude, split at 37.5° E into two branch zones.
BASE_RING = [[37.0, 55.5], [38.0, 55.5], [38.0, 56.0], [37.0, 56.0]]
WEST_RING = [[37.0, 55.5], [37.5, 55.5], [37.5, 56.0], [37.0, 56.0]]
EAST_RING = [[37.5, 55.5], [38.0, 55.5], [38.0, 56.0], [37.5, 56.0]]


def north_of_base(km: float, lon: float = 37.5) -> GeoPoint:
    """The point `km` due north of the base zone's northern edge (the parallel 56° N)."""
    x, y = destination(lon, 56.0, 0.0, km)
    return GeoPoint(lat=y, lon=x)


def zone(kind: str, ring: list[list[float]], order: int = 0, branch_id: UUID | None = None) -> ZoneShape:
    return make_zone(
        id=uuid4(), organization_id=ORG, kind=kind, name=kind, order=order, branch_id=branch_id, polygon=ring
    )


def base() -> ZoneShape:
    return zone("base", BASE_RING)


def west(order: int = 1) -> ZoneShape:
    return zone("branch", WEST_RING, order, WEST_BRANCH)


def east(order: int = 2) -> ZoneShape:
    return zone("branch", EAST_RING, order, EAST_BRANCH)


# ORG-2: zone polygons


def test_ORG_2_ring_is_closed_when_given_open() -> None:
    z = west()
    assert z.ring[0] == z.ring[-1]
    assert len(z.ring) == 5


@pytest.mark.parametrize(
    "ring",
    [
        [[37.0, 55.0], [38.0, 55.0]],  # two points
        [[37.0, 55.0], [38.0, 55.0], [37.0, 55.0]],  # degenerate
        [[37.0, 55.0], [38.0, 56.0], [38.0, 55.0], [37.0, 56.0]],  # bow tie: self-intersecting
        [[37.0, 55.0], [38.0, 55.0], [38.0, 95.0]],  # latitude out of range
        [[37.0, 55.0], [38.0, 55.0, 1.0], [38.0, 56.0]],  # not a pair
        [[37.0, 55.0], [38.0, 55.0], [float("nan"), 56.0]],
        [[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]],  # collinear: no area
    ],
)
def test_ORG_2_invalid_polygons_are_refused(ring: list[list[float]]) -> None:
    with pytest.raises(InvalidZonePolygon) as err:
        zone("branch", ring, 1, WEST_BRANCH)
    assert err.value.code == "invalid_zone_polygon"
    assert err.value.rule == "ORG-2"


def test_HV_4_branch_zone_names_its_branch_and_base_zone_none() -> None:
    with pytest.raises(InvalidZone):
        zone("branch", WEST_RING, 1, None)
    with pytest.raises(InvalidZone):
        zone("base", BASE_RING, 0, WEST_BRANCH)
    with pytest.raises(ValueError):
        zone("district", BASE_RING, 0, None)


# HV-4: locating the branch


def test_HV_4_point_inside_a_zone_is_located() -> None:
    w, e = west(), east()
    assert locate(GeoPoint(lat=55.75, lon=37.2), [w, e]).zone_id == w.id  # type: ignore[union-attr]
    match = locate(GeoPoint(lat=55.75, lon=37.8), [w, e])
    assert match is not None
    assert (match.zone_id, match.branch_id) == (e.id, EAST_BRANCH)


def test_HV_4_point_on_border_belongs_to_first_zone() -> None:
    w, e = west(order=1), east(order=2)
    on_shared_edge = GeoPoint(lat=55.75, lon=37.5)
    assert locate(on_shared_edge, [w, e]).branch_id == WEST_BRANCH  # type: ignore[union-attr]
    # The organization's order decides, not the order of the list.
    assert locate(on_shared_edge, [e, w]).branch_id == WEST_BRANCH  # type: ignore[union-attr]
    w2, e2 = west(order=2), east(order=1)
    assert locate(on_shared_edge, [w2, e2]).branch_id == EAST_BRANCH  # type: ignore[union-attr]


def test_HV_4_shared_vertex_belongs_to_first_zone() -> None:
    corner = GeoPoint(lat=56.0, lon=37.5)
    assert locate(corner, [east(order=2), west(order=1)]).branch_id == WEST_BRANCH  # type: ignore[union-attr]


def test_HV_4_outer_border_is_inside_the_zone() -> None:
    assert locate(GeoPoint(lat=55.5, lon=37.2), [west()]) is not None  # on the southern edge


def test_HV_4_point_outside_every_branch_zone_is_not_located() -> None:
    assert locate(GeoPoint(lat=57.0, lon=37.2), [west(), east()]) is None


def test_HV_4_base_zone_does_not_decide_the_branch() -> None:
    assert locate(GeoPoint(lat=55.75, lon=37.2), [base()]) is None


def test_HV_4_outside_branch_zones_within_bands_goes_to_outlying_branch() -> None:
    # A branch zone covering only the west half: an address in the east half is inside the base
    # zone but outside every branch zone.
    decision = check_address(GeoPoint(lat=55.75, lon=37.8), [base(), west()], BANDS, OUTLYING_BRANCH)
    assert decision.branch_id == OUTLYING_BRANCH
    assert decision.zone_id is None
    assert decision.served
    # Outside the base zone too: charged by band, still the outlying branch.
    outside = check_address(GeoPoint(lat=56.1, lon=37.8), [base(), west(), east()], BANDS, OUTLYING_BRANCH)
    assert outside.branch_id == OUTLYING_BRANCH
    assert outside.band == BANDS[0]
    assert outside.served


def test_HV_4_beyond_last_band_is_refused() -> None:
    far = north_of_base(60)  # 60 km north of the base zone
    decision = check_address(far, [base(), west(), east()], BANDS, OUTLYING_BRANCH)
    assert not decision.served
    assert decision.band is None
    assert decision.distance_km == pytest.approx(60, abs=0.2)
    with pytest.raises(AddressOutsideServiceZones) as err:
        require_served(decision)
    problem = err.value.to_problem()
    assert (err.value.status, problem["code"], problem["rule"]) == (
        422,
        "address_outside_service_zones",
        "HV-4",
    )
    assert problem["distance_km"] == decision.distance_km


def test_HV_4_no_outlying_branch_means_not_served_outside_branch_zones() -> None:
    decision = check_address(GeoPoint(lat=56.1, lon=37.8), [base(), west(), east()], BANDS, None)
    assert decision.branch_id is None
    assert not decision.served


def test_HV_4_served_address_passes_require_served() -> None:
    decision = check_address(GeoPoint(lat=55.75, lon=37.2), [base(), west(), east()], BANDS, OUTLYING_BRANCH)
    assert require_served(decision) is decision


def test_HV_4_without_base_zone_only_branch_zones_are_served() -> None:
    inside = check_address(GeoPoint(lat=55.75, lon=37.2), [west()], BANDS, OUTLYING_BRANCH)
    assert (inside.branch_id, inside.served, inside.distance_km) == (WEST_BRANCH, True, None)
    outside = check_address(GeoPoint(lat=57.0, lon=37.2), [west()], BANDS, OUTLYING_BRANCH)
    assert not outside.served


# BIL-15: the base zone


def test_BIL_15_inside_base_zone_is_included() -> None:
    decision = check_address(GeoPoint(lat=55.75, lon=37.2), [base(), west(), east()], BANDS, OUTLYING_BRANCH)
    assert decision.inside_base_zone
    assert decision.distance_km == 0
    assert decision.band is None
    assert decision.branch_id == WEST_BRANCH


def test_BIL_15_point_on_base_zone_border_is_inside() -> None:
    decision = check_address(GeoPoint(lat=56.0, lon=37.7), [base(), east()], BANDS, OUTLYING_BRANCH)
    assert decision.inside_base_zone
    assert decision.distance_km == 0


def test_BIL_15_branch_zone_outside_base_zone_is_charged() -> None:
    # A branch zone reaching 0.2° (about 22 km) north of the base zone.
    north = zone("branch", [[37.0, 56.0], [38.0, 56.0], [38.0, 56.2], [37.0, 56.2]], 3, EAST_BRANCH)
    decision = check_address(GeoPoint(lat=56.15, lon=37.5), [base(), north], BANDS, OUTLYING_BRANCH)
    assert decision.branch_id == EAST_BRANCH
    assert decision.zone_id == north.id
    assert not decision.inside_base_zone
    assert decision.band == BANDS[1]  # about 16.7 km: (15, 30]


def test_BIL_15_just_outside_is_never_rounded_to_included() -> None:
    point = north_of_base(0.01)  # 10 m outside
    assert distance_from_base_km(point, base()) == 0.1
    assert check_address(point, [base()], BANDS, OUTLYING_BRANCH).band == BANDS[0]


# BIL-16: distance bands


@pytest.mark.parametrize(
    ("km", "percent"),
    [
        (0.1, 15),
        (14.9, 15),
        (15.0, 15),
        (15.01, 30),
        (30.0, 30),
        (30.01, 50),
        (50.0, 50),
    ],
)
def test_BIL_16_band_bounds_inclusive(km: float, percent: int) -> None:
    band = distance_band(km, BANDS)
    assert band is not None
    assert band.surcharge_percent == percent


def test_BIL_16_beyond_last_band_is_not_served() -> None:
    assert distance_band(50.01, BANDS) is None
    assert distance_band(500, BANDS) is None


def test_BIL_16_inside_base_zone_is_the_included_band() -> None:
    assert distance_band(0, BANDS) == INCLUDED
    assert INCLUDED.surcharge_percent == 0


def test_BIL_16_band_order_in_the_data_does_not_matter() -> None:
    assert distance_band(20, tuple(reversed(BANDS))) == BANDS[1]


@pytest.mark.parametrize(
    "bands",
    [
        (DistanceBand(15, 15), DistanceBand(15, 30)),  # duplicate bound
        (DistanceBand(0, 15),),  # zero bound
        (DistanceBand(-5, 15),),
        (DistanceBand(15, -1),),  # negative surcharge
    ],
)
def test_BIL_16_invalid_bands_are_refused(bands: tuple[DistanceBand, ...]) -> None:
    with pytest.raises(InvalidDistanceBands) as err:
        check_bands(bands)
    assert err.value.rule == "BIL-16"


def test_BIL_16_no_bands_means_nothing_outside_base_zone_is_served() -> None:
    decision = check_address(GeoPoint(lat=56.05, lon=37.5), [base()], (), OUTLYING_BRANCH)
    assert not decision.served
    assert check_address(GeoPoint(lat=55.75, lon=37.5), [base()], (), OUTLYING_BRANCH).served


@pytest.mark.parametrize(
    ("km", "percent"),
    [(10, 15), (15, 15), (25, 30), (30, 30), (40, 50), (50, 50)],
)
def test_BIL_16_band_of_a_point_north_of_the_base_zone(km: float, percent: int) -> None:
    # Due north of an edge along the parallel 56° N the nearest point is straight south.
    point = north_of_base(km)
    decision = check_address(point, [base(), west(), east()], BANDS, OUTLYING_BRANCH)
    assert decision.distance_km == pytest.approx(km, abs=0.05)
    assert decision.band is not None
    assert decision.band.surcharge_percent == percent


# The distance measure itself (geo.py): geodesic on WGS 84 (pyproj).


def test_distance_due_north_equals_meridian_arc() -> None:
    ring = tuple((lon, lat) for lon, lat in [*BASE_RING, BASE_RING[0]])
    km = distance_outside_km(ring, 37.5, 56.2)
    assert km == pytest.approx(geodesic_km(37.5, 56.2, 37.5, 56.0), rel=1e-4)
    assert km == pytest.approx(22.27, abs=0.01)  # 0.2° of meridian at 56° N on WGS 84


def test_distance_to_a_corner_is_the_geodesic_distance() -> None:
    ring = tuple((lon, lat) for lon, lat in [*BASE_RING, BASE_RING[0]])
    km = distance_outside_km(ring, 38.3, 56.2)
    assert km == pytest.approx(geodesic_km(38.3, 56.2, 38.0, 56.0), rel=1e-3)


def test_distance_east_of_a_meridian_edge_is_at_most_the_parallel_arc() -> None:
    ring = tuple((lon, lat) for lon, lat in [*BASE_RING, BASE_RING[0]])
    km = distance_outside_km(ring, 38.3, 55.75)
    along_parallel = geodesic_km(38.3, 55.75, 38.0, 55.75)
    assert km <= along_parallel + 1e-6
    assert km == pytest.approx(along_parallel, rel=5e-3)


def test_distance_inside_or_on_border_is_zero() -> None:
    ring = tuple((lon, lat) for lon, lat in [*BASE_RING, BASE_RING[0]])
    assert distance_outside_km(ring, 37.5, 55.75) == 0
    assert distance_outside_km(ring, 37.5, 56.0) == 0
    assert distance_outside_km(ring, 38.0, 56.0) == 0


def test_zone_kinds() -> None:
    assert {k.value for k in ZoneKind} == {"branch", "base"}
