"""Patient use cases: load, apply the rules, persist, add events to the outbox. Never commits."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.errors import UnknownEntity
from clinic_common.events.catalog import type_of
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.records import PatientRegistered

from records import access
from records.access import PatientNotFound
from records.patient.domain import (
    DuplicatePatient,
    Registration,
    check_registration,
    consent_channel_for,
)
from records.patient.models import Consent, Patient
from records.patient.repository import PatientRepository
from records.patient.schemas import PatientCreate


async def register_patient(
    session: AsyncSession, outbox: Outbox, principal: Principal, body: PatientCreate, now: datetime
) -> Patient:
    """REC-1/REC-2: register with identity data and consent; announce `patient.registered`."""
    access.check_can_register_in(principal, body.organization_id)
    repo = PatientRepository(session)
    org = await repo.organization(body.organization_id)
    if org is None:
        raise UnknownEntity("organization", body.organization_id)
    today = now.astimezone(ZoneInfo(org.time_zone)).date()
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
        phone=body.phone,
        email=body.email,
        registered_at=now,
    )
    try:
        async with session.begin_nested():
            await repo.add(patient)
    except IntegrityError as exc:  # a concurrent registration of the same IIN won
        raise DuplicatePatient() from exc
    await repo.add_consent(
        Consent(
            id=uuid.uuid4(),
            patient_id=patient.id,
            kind="personal_data",
            channel=consent_channel_for(principal.roles),
            given_at=now,
            recorded_by=principal.subject,
        )
    )
    await outbox.add(
        session,
        type=type_of(PatientRegistered),
        aggregate_id=patient.id,
        org_id=patient.organization_id,
        now=now,
        data=PatientRegistered(
            patient_id=patient.id,
            organization_id=patient.organization_id,
            last_name=patient.last_name,
            first_name=patient.first_name,
            middle_name=patient.middle_name,
            birth_date=patient.birth_date,
            sex=patient.sex,
            iin=patient.iin,
            phone=patient.phone,
            address_text=patient.address_text,
            lat=patient.lat,
            lon=patient.lon,
        ),
    )
    return patient


async def get_patient(session: AsyncSession, principal: Principal, patient_id: uuid.UUID) -> Patient:
    """Patients see only themselves; staff only their organization; otherwise 404 (api.md)."""
    patient = await PatientRepository(session).get(patient_id)
    if patient is None:
        raise PatientNotFound()
    access.check_can_read_patient(principal, patient)
    return patient
