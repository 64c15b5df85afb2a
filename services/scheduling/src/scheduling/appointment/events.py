"""The appointment's events, written to the outbox with the change (architecture.md, Events)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.events.catalog import EventPayload, type_of
from clinic_common.events.outbox import Outbox

from scheduling.appointment.models import Appointment


def base(a: Appointment) -> dict[str, Any]:
    """The fields every `appointment.*` event carries (`_AppointmentData`)."""
    return {
        "appointment_id": a.id,
        "organization_id": a.organization_id,
        "patient_id": a.patient_id,
        "practitioner_id": a.practitioner_id,
        "branch_id": a.branch_id,
        "service_code": a.service_code,
        "start": a.start_at,
        "end": a.end_at,
    }


async def announce(
    session: AsyncSession,
    outbox: Outbox,
    a: Appointment,
    event: type[EventPayload],
    now: datetime,
    **fields: Any,
) -> None:
    """Add `event` about `a` to the outbox (its aggregate is the appointment)."""
    await outbox.add(
        session,
        type=type_of(event),
        aggregate_id=a.id,
        org_id=a.organization_id,
        now=now,
        data=event.model_validate({**base(a), **fields}),
    )
