"""Events produced by billing."""

from __future__ import annotations

from uuid import UUID

from clinic_common.events.catalog import EventPayload, event


@event("billing", "service", "upserted", consumers=("scheduling", "home_visits"))
class ServiceUpserted(EventPayload):
    """A catalogue service: code, duration and flags (SCH-2, SCH-9, BIL-12)."""

    id: UUID
    organization_id: UUID
    code: str
    name: str
    duration_minutes: int
    category: str
    requires_referral: bool = False
    preventive: bool = False
    state_order: bool = False
    active: bool = True
