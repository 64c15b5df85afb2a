"""Demo geography: base zones and branch zones of the two demo organizations, as (lon, lat) rings.

Simplified outlines for demonstration, not surveyed boundaries:
- Moscow (P preset): the base zone is the Moscow Ring Road (MKAD) drawn through 19 points on
  the road itself, about every 6 km of its 109 (kilometre posts 1, 8, 14, ... 106), so the
  chords lie just inside the ring. The two branch zones split it along a line from the MKAD's
  eastern point (km 1) through a point near Pechatniki to its southern point (km 32): Arbat
  takes the centre, west and north, Maryino the south-east. Together they cover the base zone
  exactly and share that border.
- Almaty (O preset): the base zone roughly follows the city boundary (Alatau district in the
  north-west to the foothills in the south, Medeu district in the east); the branch zones split
  it along the meridian 76.92° E: Abay the west, Dostyk the east.
"""

from __future__ import annotations

from home_visits.zone.geo import Ring

Point = tuple[float, float]

MKAD: tuple[Point, ...] = (
    (37.8428, 55.7746),  # km 1, east (Entuziastov highway)
    (37.8371, 55.7122),  # km 8
    (37.8393, 55.6587),  # km 14
    (37.7819, 55.6177),  # km 20
    (37.7094, 55.5840),  # km 26
    (37.6167, 55.5747),  # km 32, south (near Varshavskoye highway)
    (37.5264, 55.5922),  # km 38
    (37.4699, 55.6302),  # km 44
    (37.4187, 55.6799),  # km 50
    (37.3784, 55.7286),  # km 56
    (37.3699, 55.7797),  # km 62, west
    (37.3953, 55.8325),  # km 68
    (37.4294, 55.8770),  # km 74
    (37.5132, 55.8996),  # km 80
    (37.6046, 55.9055),  # km 86, north
    (37.6988, 55.8939),  # km 92
    (37.7645, 55.8625),  # km 97
    (37.8228, 55.8327),  # km 102
    (37.8400, 55.8028),  # km 106
)
MOSCOW_SPLIT_EAST = 0  # index of km 1 in MKAD
MOSCOW_SPLIT_SOUTH = 5  # index of km 32
MOSCOW_SPLIT_VIA: Point = (37.6800, 55.6900)  # inside the ring, near Pechatniki

ALMATY_BOUNDARY: tuple[Point, ...] = (
    (76.7400, 43.3000),
    (76.7800, 43.3600),
    (76.8800, 43.3800),
    (76.9200, 43.3760),  # north end of the split
    (76.9800, 43.3700),
    (77.0700, 43.3600),
    (77.1100, 43.3000),
    (77.0800, 43.2200),
    (77.0300, 43.1700),
    (76.9500, 43.1500),
    (76.9200, 43.1570),  # south end of the split
    (76.8600, 43.1700),
    (76.7800, 43.2000),
    (76.7400, 43.2400),
)
ALMATY_SPLIT_NORTH = 3
ALMATY_SPLIT_SOUTH = 10


def closed(points: tuple[Point, ...] | list[Point]) -> Ring:
    return (*points, points[0])


def split(ring: tuple[Point, ...], i: int, j: int, via: tuple[Point, ...] = ()) -> tuple[Ring, Ring]:
    """Cut an open ring between its vertices i < j along the path i -> via... -> j.

    Returns (the part through vertices i..j, the part through j..end..i); both share the cut."""
    first = [*ring[i : j + 1], *reversed(via)]
    second = [*ring[j:], *ring[: i + 1], *via]
    return closed(first), closed(second)


MOSCOW_BASE: Ring = closed(MKAD)
MOSCOW_MARYINO, MOSCOW_ARBAT = split(MKAD, MOSCOW_SPLIT_EAST, MOSCOW_SPLIT_SOUTH, (MOSCOW_SPLIT_VIA,))
ALMATY_BASE: Ring = closed(ALMATY_BOUNDARY)
ALMATY_DOSTYK_EAST, ALMATY_ABAY_WEST = split(ALMATY_BOUNDARY, ALMATY_SPLIT_NORTH, ALMATY_SPLIT_SOUTH)
