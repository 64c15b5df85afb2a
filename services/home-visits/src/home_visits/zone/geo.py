"""Geometry on the Earth's surface for the zone rules: polygons in (lon, lat), distances in km.

Containment is decided on the polygon as drawn in longitude/latitude (edges are straight lines
in degrees), which is how the zones are drawn on a web map and stored.

Distances use a spherical azimuthal equidistant projection centred on the address: distances
from the centre are exact great-circle distances on a sphere of the IUGG mean radius, and the
projection's own distortion within 100 km of the centre is below 0.01 %. Polygon edges are
first cut into pieces of at most `SEGMENT_DEG` so that the projected outline follows the
outline drawn in degrees (the gap is a few metres). What remains is the sphere against the
WGS 84 ellipsoid: at the latitudes served (Almaty 43°, Moscow 56°) the distance is within
0.5 % of the geodesic one, i.e. at most 250 m at the 50 km band limit (BIL-16).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import Point, Polygon

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius
SEGMENT_DEG = 0.01  # about 1.1 km of latitude: edges are cut this fine before projecting
BORDER_TOLERANCE_DEG = 1e-9  # about 0.1 mm: a point this close to an edge is on the border

Ring = tuple[tuple[float, float], ...]
"""A polygon's outer ring as (lon, lat) pairs, closed (the first pair repeated at the end)."""


class InvalidRing(ValueError):
    """The ring does not describe a usable polygon."""


def close_ring(points: Sequence[Sequence[float]]) -> Ring:
    """Validate a ring of (lon, lat) pairs and return it closed; raises InvalidRing."""
    ring: list[tuple[float, float]] = []
    for p in points:
        if len(p) != 2:
            raise InvalidRing("each point is a [lon, lat] pair")
        lon, lat = float(p[0]), float(p[1])
        if not (math.isfinite(lon) and math.isfinite(lat)) or not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InvalidRing("longitude must be within ±180 and latitude within ±90")
        ring.append((lon, lat))
    if ring and ring[0] != ring[-1]:
        ring.append(ring[0])
    if len(set(ring)) < 3:
        raise InvalidRing("a polygon needs at least three distinct points")
    polygon = Polygon(ring)
    if not polygon.is_valid or polygon.area <= 0:
        raise InvalidRing(f"the ring is not a simple polygon: {shapely.is_valid_reason(polygon)}")
    return tuple(ring)


@lru_cache(maxsize=256)
def polygon_of(ring: Ring) -> Any:
    """The shapely polygon of a ring (cached: zones are few and change rarely)."""
    polygon = Polygon(ring)
    shapely.prepare(polygon)
    return polygon


def covers(ring: Ring, lon: float, lat: float) -> bool:
    """True when the point is inside the polygon or on its border (HV-4: borders included)."""
    polygon = polygon_of(ring)
    point = Point(lon, lat)
    return bool(polygon.covers(point)) or float(polygon.distance(point)) <= BORDER_TOLERANCE_DEG


def _project_around(lon0: float, lat0: float) -> Any:
    """Forward spherical azimuthal equidistant projection centred on (lon0, lat0), in km."""
    phi0 = math.radians(lat0)
    lam0 = math.radians(lon0)
    sin_phi0, cos_phi0 = math.sin(phi0), math.cos(phi0)

    def project(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        lam = np.radians(coords[:, 0])
        phi = np.radians(coords[:, 1])
        dlam = lam - lam0
        cos_c = np.clip(sin_phi0 * np.sin(phi) + cos_phi0 * np.cos(phi) * np.cos(dlam), -1.0, 1.0)
        c = np.arccos(cos_c)  # angular distance from the centre
        sin_c = np.sin(c)
        k = np.where(sin_c > 1e-12, c / np.where(sin_c > 1e-12, sin_c, 1.0), 1.0)
        x = EARTH_RADIUS_KM * k * np.cos(phi) * np.sin(dlam)
        y = EARTH_RADIUS_KM * k * (cos_phi0 * np.sin(phi) - sin_phi0 * np.cos(phi) * np.cos(dlam))
        return np.column_stack([x, y])

    return project


def distance_outside_km(ring: Ring, lon: float, lat: float) -> float:
    """Distance in km from the point to the polygon; 0 when the point is inside or on the border."""
    if covers(ring, lon, lat):
        return 0.0
    outline = shapely.segmentize(polygon_of(ring), SEGMENT_DEG)
    projected = shapely.transform(outline, _project_around(lon, lat))
    return float(projected.distance(Point(0.0, 0.0)))


def great_circle_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Haversine distance on the same sphere (used by tests and for plausibility checks)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))
