"""Learns the patient's attending practitioner from scheduling's `attending_practitioner.changed`."""

from __future__ import annotations

from clinic_common.events.catalog import type_of
from clinic_common.events.consumer import Handler, HandlerContext
from clinic_common.events.payloads.scheduling import AttendingPractitionerChanged
from clinic_common.events.projection import upsert_projection

from home_visits.attending.models import AttendingProjection


async def on_attending_changed(ctx: HandlerContext) -> None:
    """The highest `version` wins: an older change arriving late is ignored (SCH-15)."""
    data = ctx.data(AttendingPractitionerChanged)
    await upsert_projection(
        ctx.session,
        AttendingProjection.__table__,  # type: ignore[arg-type]
        {
            "patient_id": data.patient_id,
            "organization_id": data.organization_id,
            "practitioner_id": data.practitioner_id,
            "capacity": data.capacity,
            "changed_at": data.changed_at,
        },
        ctx.envelope,
        key="patient_id",
        version_column="version",
        version=data.version,
    )


HANDLERS: dict[str, Handler] = {type_of(AttendingPractitionerChanged): on_attending_changed}
