"""The `home_visit.*` events as written from a visit row (one home for their common fields)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.events.catalog import EventPayload, type_of
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.home_visits import ZoneStanding

from home_visits.visit.models import HomeVisit


def standing(visit: HomeVisit) -> ZoneStanding:
    return ZoneStanding(
        inside_base_zone=visit.inside_base_zone,
        distance_km=visit.distance_km,
        band_upper_km=visit.band_upper_km,
        surcharge_percent=visit.surcharge_percent,
    )


def visit_data(visit: HomeVisit) -> dict[str, Any]:
    """The fields every `home_visit.*` event carries."""
    return {
        "home_visit_id": visit.id,
        "organization_id": visit.organization_id,
        "patient_id": visit.patient_id,
        "branch_id": visit.branch_id,
        "kind": visit.kind,
        "scheduled_for": visit.scheduled_for,
        "enrollment_id": visit.enrollment_id,
        "practitioner_id": visit.practitioner_id,
        "zone": standing(visit),
    }


async def emit(
    session: AsyncSession, outbox: Outbox, visit: HomeVisit, payload: EventPayload, now: datetime
) -> None:
    await outbox.add(
        session,
        type=type_of(type(payload)),
        aggregate_id=visit.id,
        org_id=visit.organization_id,
        now=now,
        data=payload,
    )
