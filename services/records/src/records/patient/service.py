"""Patient use cases: load, apply the rules, persist, add events to the outbox. Never commits."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.calendar import local_date
from clinic_common.etag import check_if_match, etag
from clinic_common.events.catalog import type_of
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.records import PatientRegistered, PatientUpdated

from records import access
from records.patient.context import load_patient, organization
from records.patient.domain import (
    DuplicatePatient,
    Registration,
    check_change,
    check_registration,
    consent_channel_for,
    normalize_phone,
)
from records.patient.models import Consent, Patient
from records.patient.repository import PatientRepository
from records.patient.schemas import PatientCreate, PatientUpdate


def _event_data(patient: Patient) -> dict[str, object]:
    return {
        "patient_id": patient.id,
        "organization_id": patient.organization_id,
        "last_name": patient.last_name,
        "first_name": patient.first_name,
        "middle_name": patient.middle_name,
        "birth_date": patient.birth_date,
        "sex": patient.sex,
        "iin": patient.iin,
        "phone": patient.phone,
        "address_text": patient.address_text,
        "lat": patient.lat,
        "lon": patient.lon,
    }


async def register_patient(
    session: AsyncSession, outbox: Outbox, principal: Principal, body: PatientCreate, now: datetime
) -> Patient:
    """REC-1/REC-2: register with identity data and consent; announce `patient.registered`."""
    access.check_can_register_in(principal, body.organization_id)
    repo = PatientRepository(session)
    org = await organization(session, body.organization_id)
    today = local_date(now, org.time_zone)
    check_registration(
        Registration(
            country=org.country,
            birth_date=body.birth_date,
            sex=body.sex,
            iin=body.iin,
            personal_data_consent=body.personal_data_consent,
        ),
        today,
    )
    phone = normalize_phone(body.phone, org.country)
    if body.iin and await repo.by_iin(body.organization_id, body.iin) is not None:
        raise DuplicatePatient()
    patient = Patient(
        id=uuid.uuid4(),
        organization_id=body.organization_id,
        last_name=body.last_name,
        first_name=body.first_name,
        middle_name=body.middle_name,
        birth_date=body.birth_date,
        sex=body.sex,
        iin=body.iin,
        identity_document_kind=body.identity_document.kind,
        identity_document_number=body.identity_document.number,
        address_text=body.address.text,
        lat=body.address.lat,
        lon=body.address.lon,
        phone=phone,
        registration_phone=phone,
        email=body.email,
        registered_at=now,
        drug_addiction_treatment=body.drug_addiction_treatment,
        notification_channels=list(dict.fromkeys(body.notification_channels or ["cabinet", "sms"])),
    )
    try:
        async with session.begin_nested():
            await repo.add(patient)
    except IntegrityError as exc:  # a concurrent registration of the same IIN won
        raise DuplicatePatient() from exc
    channel = consent_channel_for(principal.roles)
    consents = [("personal_data", True)]
    # REC-2: photo/video consent is separate; under the O preset it comes with the offer's
    # acceptance (O 7.10.2), elsewhere it is asked for and recorded either way.
    if body.photo_video_consent is not None:
        consents.append(("photo_video", body.photo_video_consent))
    for kind, given in consents:
        await repo.add_consent(
            Consent(
                id=uuid.uuid4(),
                patient_id=patient.id,
                kind=kind,
                channel=channel,
                given_at=now,
                recorded_by=principal.subject,
                given=given,
                signed_by=patient.id,
                signer_role="patient",
            )
        )
    await outbox.add(
        session,
        type=type_of(PatientRegistered),
        aggregate_id=patient.id,
        org_id=patient.organization_id,
        now=now,
        data=PatientRegistered.model_validate(_event_data(patient)),
    )
    return patient


async def get_patient(session: AsyncSession, principal: Principal, patient_id: uuid.UUID) -> Patient:
    """Staff of the organization, the patient, and persons linked to the patient; otherwise 404."""
    patient = await load_patient(session, patient_id)
    await access.check_patient(session, access.READ_PATIENT, principal, patient)
    return patient


async def update_patient(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    patient_id: uuid.UUID,
    body: PatientUpdate,
    now: datetime,
    *,
    if_match: str | None,
) -> Patient:
    """REC-19: the patient changes phone and e-mail; anything else needs a written application,
    recorded by the registry. `If-Match` guards against lost updates (412)."""
    patient = await load_patient(session, patient_id, for_update=True)
    await access.check_patient(session, access.UPDATE_PATIENT, principal, patient)
    by_patient = access.acts_as_patient(access.UPDATE_PATIENT, principal)
    if by_patient and not access.is_self(principal, patient):
        raise access.PatientNotFound()  # a linked person changes nothing of the patient's
    check_if_match(if_match, etag(patient.version), what="The patient")
    changes = body.model_dump(exclude_unset=True, exclude={"written_application_ref"})
    check_change(frozenset(changes), by_patient=by_patient, application_ref=body.written_application_ref)
    org = await organization(session, patient.organization_id)
    for field, value in changes.items():
        if field == "phone" and value is not None:
            patient.phone = normalize_phone(value, org.country)
        elif field == "identity_document" and value is not None:
            patient.identity_document_kind = value["kind"]
            patient.identity_document_number = value["number"]
        elif field == "address" and value is not None:
            patient.address_text, patient.lat, patient.lon = value["text"], value.get("lat"), value.get("lon")
        elif field == "notification_channels" and value is not None:
            patient.notification_channels = list(dict.fromkeys(value))
        elif field in {"email", "middle_name"} or value is not None:
            setattr(patient, field, value)
    patient.version += 1
    await outbox.add(
        session,
        type=type_of(PatientUpdated),
        aggregate_id=patient.id,
        org_id=patient.organization_id,
        now=now,
        data=PatientUpdated.model_validate(_event_data(patient)),
    )
    return patient
