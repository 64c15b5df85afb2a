"""Events produced by home-visits."""

from __future__ import annotations

from uuid import UUID

from clinic_common.events.catalog import EventPayload, event


@event("home_visits", "zone", "upserted", consumers=("billing",))
class ZoneUpserted(EventPayload):
    """A branch's home-care service zone (ORG-2, HV-4) or the organization's base zone (BIL-15)."""

    id: UUID
    organization_id: UUID
    branch_id: UUID | None
    name: str
    kind: str  # branch, base
    order: int
    polygon: list[tuple[float, float]]  # (lon, lat) ring
