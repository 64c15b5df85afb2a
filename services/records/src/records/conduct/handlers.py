"""No-shows and late arrivals reported by scheduling are recorded as violations (REC-22)."""

from __future__ import annotations

from clinic_common.events.catalog import type_of
from clinic_common.events.consumer import Handler, HandlerContext
from clinic_common.events.payloads.scheduling import AppointmentArrived, AppointmentNoshow

from records.conduct.service import record
from records.patient.models import Patient


async def on_noshow(ctx: HandlerContext) -> None:
    d = ctx.data(AppointmentNoshow)
    if await ctx.session.get(Patient, d.patient_id) is not None:
        await record(
            ctx.session,
            organization_id=d.organization_id,
            patient_id=d.patient_id,
            kind="no_show",
            note="Did not arrive by the policy's cutoff (SCH-7)",
            occurred_at=d.start,
            recorded_by="scheduling",
            appointment_id=d.appointment_id,
        )


async def on_arrived(ctx: HandlerContext) -> None:
    d = ctx.data(AppointmentArrived)
    if d.lateness_minutes > 0 and await ctx.session.get(Patient, d.patient_id) is not None:
        await record(
            ctx.session,
            organization_id=d.organization_id,
            patient_id=d.patient_id,
            kind="late_arrival",
            note=f"Arrived {d.lateness_minutes} minutes late (SCH-7)",
            occurred_at=d.arrived_at,
            recorded_by="scheduling",
            appointment_id=d.appointment_id,
        )


HANDLERS: dict[str, list[Handler]] = {
    type_of(AppointmentNoshow): [on_noshow],
    type_of(AppointmentArrived): [on_arrived],
}
