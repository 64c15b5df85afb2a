"""Offer acceptance from other services' acts (REC-3, O 1.8-1.9): a call-centre booking, a payment,
a service received."""

from __future__ import annotations

from datetime import datetime

from clinic_common.events.catalog import type_of
from clinic_common.events.consumer import Handler, HandlerContext
from clinic_common.events.payloads.billing import PaymentCaptured
from clinic_common.events.payloads.scheduling import AppointmentBooked, AppointmentFulfilled

from records.offer.domain import AcceptanceAct
from records.offer.service import accept
from records.patient.models import Patient


async def _accept(
    ctx: HandlerContext, patient_id: object, act: AcceptanceAct, ref: str, at: datetime | None = None
) -> None:
    patient = await ctx.session.get(Patient, patient_id)
    if patient is not None:  # a person records does not know has no offer to accept here
        await accept(ctx.session, patient, act, ref, at or ctx.now)


async def on_booked(ctx: HandlerContext) -> None:
    data = ctx.data(AppointmentBooked)
    if data.channel == "call_center":
        await _accept(
            ctx, data.patient_id, AcceptanceAct.CALL_CENTER_BOOKING, f"appointment:{data.appointment_id}"
        )


async def on_fulfilled(ctx: HandlerContext) -> None:
    data = ctx.data(AppointmentFulfilled)
    ref = f"appointment:{data.appointment_id}"
    await _accept(ctx, data.patient_id, AcceptanceAct.SERVICE_RECEIVED, ref, data.fulfilled_at)


async def on_payment(ctx: HandlerContext) -> None:
    data = ctx.data(PaymentCaptured)
    await _accept(ctx, data.patient_id, AcceptanceAct.PAYMENT, f"payment:{data.payment_id}")


HANDLERS: dict[str, list[Handler]] = {
    type_of(AppointmentBooked): [on_booked],
    type_of(AppointmentFulfilled): [on_fulfilled],
    type_of(PaymentCaptured): [on_payment],
}
