"""Learns patients from records' `patient.registered` / `patient.updated`."""

from __future__ import annotations

from clinic_common.events.catalog import type_of
from clinic_common.events.consumer import Handler
from clinic_common.events.payloads.records import PatientRegistered, PatientUpdated
from clinic_common.events.projection import mirror

from home_visits.patient.models import PatientProjection

RENAME = {"patient_id": "id"}

HANDLERS: dict[str, Handler] = {
    type_of(PatientRegistered): mirror(PatientProjection, PatientRegistered, rename=RENAME),
    type_of(PatientUpdated): mirror(PatientProjection, PatientUpdated, rename=RENAME),
}
