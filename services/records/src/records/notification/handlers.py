"""Events that concern patients become notifications; appointment changes replan reminders."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from clinic_common.calendar import to_local
from clinic_common.events.catalog import type_of
from clinic_common.events.consumer import Handler, HandlerContext
from clinic_common.events.payloads import billing as bil
from clinic_common.events.payloads import home_visits as hv
from clinic_common.events.payloads import scheduling as sch

from records.care.models import AppointmentProjection
from records.notification.reminders import replan
from records.notification.service import notify
from records.patient.context import organization
from records.patient.models import Patient

CANCEL_REASONS = {
    "patient": "at your request",
    "clinic": "by the clinic",
    "absence": "because the practitioner is absent",
    "late_refused": "because of late arrival",
    "noshow": "because you did not arrive",
}


async def _replan(ctx: HandlerContext) -> None:
    data = ctx.data(sch.AppointmentNoshow)  # the fields every appointment event carries
    appointment = await ctx.session.get(AppointmentProjection, data.appointment_id)
    if appointment is not None:
        await replan(ctx.session, appointment, ctx.now)


async def _tell(
    ctx: HandlerContext, patient_id: object, kind: str, title: str, body: str, **data: object
) -> None:
    patient = await ctx.session.get(Patient, patient_id)
    if patient is None:
        return
    await notify(
        ctx.session,
        patient,
        kind=kind,
        title=title,
        body=body,
        medical=False,
        cause=f"event:{ctx.envelope.id}",
        now=ctx.now,
        data={k: str(v) for k, v in data.items()},
    )


async def _local(ctx: HandlerContext, org_id: UUID, instant: datetime) -> str:
    org = await organization(ctx.session, org_id)
    return f"{to_local(instant, org.time_zone):%d.%m.%Y %H:%M}"


async def on_cancelled(ctx: HandlerContext) -> None:
    d = ctx.data(sch.AppointmentCancelled)
    when = await _local(ctx, d.organization_id, d.start)
    reason = CANCEL_REASONS.get(d.reason, "")
    await _tell(
        ctx,
        d.patient_id,
        "appointment_cancelled",
        "Visit cancelled",
        f"Your visit on {when} was cancelled {reason}.".replace(" .", "."),
        appointment_id=d.appointment_id,
    )


async def on_rescheduled(ctx: HandlerContext) -> None:
    d = ctx.data(sch.AppointmentRescheduled)
    when = await _local(ctx, d.organization_id, d.start)
    await _tell(
        ctx,
        d.patient_id,
        "appointment_rescheduled",
        "Visit moved",
        f"Your visit was moved to {when}.",
        appointment_id=d.appointment_id,
    )


async def on_delayed(ctx: HandlerContext) -> None:
    d = ctx.data(sch.AppointmentDelayed)
    when = await _local(ctx, d.organization_id, d.expected_start)
    await _tell(
        ctx,
        d.patient_id,
        "appointment_delayed",
        "Visit delayed",
        f"Your visit is now expected to start at {when} (SCH-8).",
        appointment_id=d.appointment_id,
    )


async def on_home_visit_postponed(ctx: HandlerContext) -> None:
    d = ctx.data(hv.HomeVisitPostponed)
    day = d.new_date or d.scheduled_for
    await _tell(
        ctx,
        d.patient_id,
        "home_visit_postponed",
        "Home visit moved",
        f"The doctor's home visit moves to {day:%d.%m.%Y} (HV-6).",
        home_visit_id=d.home_visit_id,
    )


async def on_deterioration_acknowledged(ctx: HandlerContext) -> None:
    d = ctx.data(hv.DeteriorationReportAcknowledged)
    who = "your attending doctor" if d.acknowledged_by == "attending_doctor" else "the call centre"
    await _tell(
        ctx,
        d.patient_id,
        "deterioration_acknowledged",
        "Your report was taken",
        f"Your report that your state worsened was taken by {who} (HV-10).",
        report_id=d.report_id,
    )


async def on_home_visit_cancelled(ctx: HandlerContext) -> None:
    d = ctx.data(hv.HomeVisitCancelled)
    await _tell(
        ctx,
        d.patient_id,
        "home_visit_cancelled",
        "Home visit cancelled",
        f"The home visit of {d.scheduled_for:%d.%m.%Y} was cancelled.",
        home_visit_id=d.home_visit_id,
    )


async def on_surcharge_proposed(ctx: HandlerContext) -> None:
    d = ctx.data(bil.SurchargeProposed)
    await _tell(
        ctx,
        d.patient_id,
        "surcharge_proposed",
        "Program surcharge proposed",
        f"A surcharge of {d.amount} {d.currency} on your program is proposed.",
        surcharge_id=d.surcharge_id,
    )


REPLANNED = (
    sch.AppointmentBooked,
    sch.AppointmentRescheduled,
    sch.AppointmentCancelled,
    sch.AppointmentArrived,
    sch.AppointmentFulfilled,
    sch.AppointmentNoshow,
)

HANDLERS: dict[str, list[Handler]] = {
    **{type_of(t): [_replan] for t in REPLANNED},
}
for _type, _handler in (
    (sch.AppointmentCancelled, on_cancelled),
    (sch.AppointmentRescheduled, on_rescheduled),
    (sch.AppointmentDelayed, on_delayed),
    (hv.HomeVisitPostponed, on_home_visit_postponed),
    (hv.HomeVisitCancelled, on_home_visit_cancelled),
    (bil.SurchargeProposed, on_surcharge_proposed),
    (hv.DeteriorationReportAcknowledged, on_deterioration_acknowledged),
):
    HANDLERS.setdefault(type_of(_type), []).append(_handler)
