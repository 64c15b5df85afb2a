"""Geometry on the WGS 84 ellipsoid for the zone and dispatch rules: polygons in (lon, lat), km.

Containment is decided on the polygon as drawn in longitude/latitude (edges are straight lines
in degrees), which is how zones are drawn on a web map and stored in GeoJSON (RFC 7946).

Distances are geodesic on the WGS 84 ellipsoid (pyproj's `Geod`, Karney's algorithm). The
distance from an address to a polygon is found in two steps: the outline (its edges cut into
pieces of at most `SEGMENT_DEG`, so it follows the outline drawn in degrees) is projected with an
ellipsoidal azimuthal equidistant projection centred on the address, where distances from the
centre are geodesic, to find the nearest boundary point; the distance to that point is then
measured exactly with `Geod.inv`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Geod, Transformer
from shapely.geometry import Point, Polygon
from shapely.ops import nearest_points

GEOD = Geod(ellps="WGS84")
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


@lru_cache(maxsize=256)
def _outline(ring: Ring) -> Any:
    return shapely.segmentize(polygon_of(ring).exterior, SEGMENT_DEG)


def covers(ring: Ring, lon: float, lat: float) -> bool:
    """True when the point is inside the polygon or on its border (HV-4: borders included)."""
    polygon = polygon_of(ring)
    point = Point(lon, lat)
    return bool(polygon.covers(point)) or float(polygon.distance(point)) <= BORDER_TOLERANCE_DEG


@lru_cache(maxsize=1024)
def _centred_on(lon: float, lat: float) -> Transformer:
    """lon/lat -> metres of the WGS 84 azimuthal equidistant projection centred on the point."""
    return Transformer.from_crs(
        "EPSG:4326", f"+proj=aeqd +lat_0={lat} +lon_0={lon} +ellps=WGS84 +units=m", always_xy=True
    )


def geodesic_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """The geodesic distance between two points on WGS 84, in km."""
    _, _, metres = GEOD.inv(lon1, lat1, lon2, lat2)
    return float(metres) / 1000.0


def distance_outside_km(ring: Ring, lon: float, lat: float) -> float:
    """Geodesic distance in km from the point to the polygon; 0 inside or on the border."""
    if covers(ring, lon, lat):
        return 0.0
    transformer = _centred_on(lon, lat)

    def forward(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    projected = shapely.transform(_outline(ring), forward)
    nearest = nearest_points(projected, Point(0.0, 0.0))[0]
    near_lon, near_lat = transformer.transform(nearest.x, nearest.y, direction="INVERSE")
    return geodesic_km(lon, lat, float(near_lon), float(near_lat))


def distance_matrix_km(points: Sequence[tuple[float, float]]) -> NDArray[np.float64]:
    """Pairwise geodesic distances in km between (lon, lat) points (dispatch, HV-9)."""
    n = len(points)
    if n == 0:
        return np.zeros((0, 0))
    lons = np.array([p[0] for p in points], dtype=np.float64)
    lats = np.array([p[1] for p in points], dtype=np.float64)
    _, _, metres = GEOD.inv(np.repeat(lons, n), np.repeat(lats, n), np.tile(lons, n), np.tile(lats, n))
    return np.asarray(metres, dtype=np.float64).reshape(n, n) / 1000.0


def destination(lon: float, lat: float, azimuth_deg: float, km: float) -> tuple[float, float]:
    """The point `km` along the geodesic from (lon, lat) at `azimuth_deg` (tests, demo data)."""
    end_lon, end_lat, _ = GEOD.fwd(lon, lat, azimuth_deg, km * 1000.0)
    return float(end_lon), float(end_lat)
