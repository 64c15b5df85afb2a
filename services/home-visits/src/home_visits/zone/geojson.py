"""Service zones from GeoJSON (RFC 7946): one FeatureCollection per organization (ORG-2, HV-4, BIL-15).

Each Feature is a Polygon without holes and says in its properties what it is:
`kind` (`branch` or `base`), `name`, `order` (the rank among branch zones: a point on a border
belongs to the first, HV-4) and, for a branch zone, `branch_id`. The Feature's `id` (a string) is
its key within the organization, so loading a corrected file again updates the same zones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from shapely.geometry import shape

from clinic_common.demo import demo_id

from home_visits.zone.domain import ZoneKind, ZoneShape, make_zone


class InvalidGeoJson(ValueError):
    """The document is not a FeatureCollection of zone polygons."""


@dataclass(frozen=True, slots=True)
class ZoneFeature:
    key: str
    kind: ZoneKind
    name: str
    order: int
    branch_id: UUID | None
    polygon: tuple[tuple[float, float], ...]


def zone_id(organization_id: UUID, key: str) -> UUID:
    """A zone's id from its organization and key: loading the same file twice finds the same rows."""
    return demo_id("home_visits", "zone", organization_id, key)


def _feature(index: int, feature: Any) -> ZoneFeature:
    where = f"features[{index}]"
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise InvalidGeoJson(f"{where} is not a Feature")
    props = feature.get("properties") or {}
    key = feature.get("id", props.get("key"))
    if not isinstance(key, str) or not key:
        raise InvalidGeoJson(f"{where} needs a string `id` (its key)")
    try:
        geometry = shape(feature.get("geometry"))
    except Exception as exc:  # shapely raises several kinds for malformed geometry
        raise InvalidGeoJson(f"{where}: geometry: {exc}") from exc
    if geometry.geom_type != "Polygon":
        raise InvalidGeoJson(f"{where}: a zone is a Polygon, not a {geometry.geom_type}")
    if len(geometry.interiors):
        raise InvalidGeoJson(f"{where}: zones have no holes")
    try:
        kind = ZoneKind(str(props.get("kind")))
        order = int(props.get("order", 0))
        branch = props.get("branch_id")
        branch_id = UUID(branch) if branch else None
    except (ValueError, TypeError) as exc:
        raise InvalidGeoJson(f"{where}: properties: {exc}") from exc
    return ZoneFeature(
        key=key,
        kind=kind,
        name=str(props.get("name") or key),
        order=order,
        branch_id=branch_id,
        polygon=tuple((float(x), float(y)) for x, y, *_ in geometry.exterior.coords),
    )


def parse_zones(document: Any) -> list[ZoneFeature]:
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise InvalidGeoJson("expected a GeoJSON FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list) or not features:
        raise InvalidGeoJson("the FeatureCollection has no features")
    parsed = [_feature(i, f) for i, f in enumerate(features)]
    keys = [f.key for f in parsed]
    if len(set(keys)) != len(keys):
        raise InvalidGeoJson("feature ids must be unique")
    return parsed


def read_zones(path: Path) -> list[ZoneFeature]:
    return parse_zones(json.loads(path.read_text(encoding="utf-8")))


def to_shapes(organization_id: UUID, features: list[ZoneFeature]) -> list[ZoneShape]:
    """Validated zones (ORG-2 simple polygons; HV-4 a branch zone names its branch)."""
    return [
        make_zone(
            id=zone_id(organization_id, f.key),
            organization_id=organization_id,
            kind=f.kind,
            name=f.name,
            order=f.order,
            branch_id=f.branch_id,
            polygon=f.polygon,
        )
        for f in features
    ]
