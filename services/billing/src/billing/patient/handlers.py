"""Learns patients from records' `patient.registered` / `patient.updated`."""

from __future__ import annotations

from clinic_common.events.catalog import type_of
from clinic_common.events.consumer import Handler, HandlerContext
from clinic_common.events.payloads.records import PatientRegistered, PatientUpdated
from clinic_common.events.projection import upsert_projection

from billing.patient.models import PatientProjection


async def on_patient(ctx: HandlerContext) -> None:
    # Both events carry the same fields and share the patient's sequence, so one handler serves them.
    data = ctx.data(PatientRegistered)
    await upsert_projection(
        ctx.session,
        PatientProjection.__table__,  # type: ignore[arg-type]
        {
            "id": data.patient_id,
            "organization_id": data.organization_id,
            "last_name": data.last_name,
            "first_name": data.first_name,
            "middle_name": data.middle_name,
            "birth_date": data.birth_date,
            "sex": data.sex,
            "iin": data.iin,
            "phone": data.phone,
            "address_text": data.address_text,
            "lat": data.lat,
            "lon": data.lon,
        },
        ctx.envelope,
    )


HANDLERS: dict[str, Handler] = {type_of(PatientRegistered): on_patient, type_of(PatientUpdated): on_patient}
