"""Keeps the appointment projection and care relations from scheduling's and home-visits' events."""

from __future__ import annotations

from clinic_common.events.catalog import CATALOG, type_of
from clinic_common.events.consumer import Handler, HandlerContext
from clinic_common.events.payloads import home_visits as hv
from clinic_common.events.payloads import scheduling as sch
from clinic_common.events.projection import upsert_projection

from records.care.models import AppointmentProjection
from records.care.repository import CareRepository

APPOINTMENT_EVENTS = (
    sch.AppointmentBooked,
    sch.AppointmentRescheduled,
    sch.AppointmentCancelled,
    sch.AppointmentArrived,
    sch.AppointmentFulfilled,
    sch.AppointmentNoshow,
    sch.AppointmentDelayed,
)

STATUS = {
    type_of(sch.AppointmentBooked): "booked",
    type_of(sch.AppointmentRescheduled): "booked",
    type_of(sch.AppointmentCancelled): "cancelled",
    type_of(sch.AppointmentArrived): "arrived",
    type_of(sch.AppointmentFulfilled): "fulfilled",
    type_of(sch.AppointmentNoshow): "noshow",
    type_of(sch.AppointmentDelayed): "booked",
}


async def project_appointment(ctx: HandlerContext) -> None:
    """The appointment as it now stands (ordered by scheduling's per-appointment sequence), and
    the practitioner's care relation with the patient (REC-13)."""
    data = ctx.data(CATALOG[ctx.envelope.type].payload)
    assert isinstance(data, APPOINTMENT_EVENTS)
    values: dict[str, object] = {
        "id": data.appointment_id,
        "organization_id": data.organization_id,
        "patient_id": data.patient_id,
        "practitioner_id": data.practitioner_id,
        "branch_id": data.branch_id,
        "service_code": data.service_code,
        "start": data.start,
        "end": data.end,
        "status": STATUS[ctx.envelope.type],
    }
    if isinstance(data, sch.AppointmentBooked):
        values["channel"] = data.channel
    await upsert_projection(ctx.session, AppointmentProjection.__table__, values, ctx.envelope)  # type: ignore[arg-type]
    if ctx.envelope.type != type_of(sch.AppointmentCancelled):
        await CareRepository(ctx.session).add_relation(
            organization_id=data.organization_id,
            patient_id=data.patient_id,
            practitioner_id=data.practitioner_id,
            branch_id=data.branch_id,
            source="appointment",
            source_id=data.appointment_id,
            since=ctx.now,
        )


async def relate_home_doctor(ctx: HandlerContext) -> None:
    """A home visit assigned to a home-care doctor puts them in the patient's care (REC-13)."""
    data = ctx.data(hv.HomeVisitAssigned)
    await CareRepository(ctx.session).add_relation(
        organization_id=data.organization_id,
        patient_id=data.patient_id,
        practitioner_id=data.practitioner_id,
        branch_id=data.branch_id,
        source="home_visit",
        source_id=data.home_visit_id,
        since=ctx.now,
    )


HANDLERS: dict[str, list[Handler]] = {
    **{t: [project_appointment] for t in STATUS},
    type_of(hv.HomeVisitAssigned): [relate_home_doctor],
}
