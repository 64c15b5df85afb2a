"""Demo geography of the two demo organizations, shipped as GeoJSON under `zone/data/`.

DEMO DATA, simplified outlines, not surveyed boundaries (each file says so in its `description`
and every feature carries `"demo": true`):
- `moscow.geojson` (P preset): the base zone is the Moscow Ring Road (MKAD) drawn through 19 points
  on the road itself, about every 6 km of its 109 (kilometre posts 1, 8, 14, ... 106), so the chords
  lie just inside the ring. The two branch zones split it along a line from the MKAD's eastern
  point (km 1) through a point near Pechatniki to its southern point (km 32): Arbat takes the
  centre, west and north, Maryino the south-east. Together they cover the base zone exactly.
- `almaty.geojson` (O preset): the base zone roughly follows the city boundary; the branch zones
  split it along the meridian 76.92° E: Abay the west, Dostyk the east.

Real outlines are loaded the same way: `python -m home_visits.cli load-zones FILE --organization ID`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from home_visits.zone.geojson import ZoneFeature, read_zones

DATA = Path(__file__).resolve().parent / "data"
MOSCOW_FILE = DATA / "moscow.geojson"
ALMATY_FILE = DATA / "almaty.geojson"


@cache
def demo_features(path: Path) -> tuple[ZoneFeature, ...]:
    return tuple(read_zones(path))


def mkad() -> tuple[tuple[float, float], ...]:
    """The demo MKAD ring (closed), the Moscow organization's base zone (BIL-15)."""
    return next(f.polygon for f in demo_features(MOSCOW_FILE) if f.key == "base")
