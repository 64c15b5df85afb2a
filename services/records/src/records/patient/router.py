"""HTTP layer of the patient module: parse, authorize, call the service, map to the schema."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from clinic_common.auth import OrganizationForbidden, Principal
from clinic_common.db import SessionDep
from clinic_common.errors import PreconditionFailed
from clinic_common.etag import IfMatch, etag
from clinic_common.idempotency import IdempotencyDep
from clinic_common.openapi import problems, unknown_entity

from records import access
from records.patient import service
from records.patient.domain import (
    BirthDateInFuture,
    DuplicatePatient,
    IinRequired,
    InvalidIinError,
    InvalidPhone,
    PersonalDataConsentRequired,
    WrittenApplicationRequired,
)
from records.patient.models import Patient
from records.patient.schemas import Address, IdentityDocumentRead, PatientCreate, PatientRead, PatientUpdate

router = APIRouter(prefix="/v1/patients", tags=["patients"])

RegistrarDep = Annotated[Principal, access.REGISTER_PATIENT.dependency()]
ReaderDep = Annotated[Principal, access.READ_PATIENT.dependency()]
UpdaterDep = Annotated[Principal, access.UPDATE_PATIENT.dependency()]


def to_read(p: Patient) -> PatientRead:
    return PatientRead(
        id=p.id,
        organization_id=p.organization_id,
        last_name=p.last_name,
        first_name=p.first_name,
        middle_name=p.middle_name,
        birth_date=p.birth_date,
        sex=p.sex,
        iin=p.iin,
        identity_document=IdentityDocumentRead(
            kind=p.identity_document_kind, number=p.identity_document_number
        ),
        address=Address(text=p.address_text, lat=p.lat, lon=p.lon),
        phone=p.phone,
        email=p.email,
        registered_at=p.registered_at,
        notification_channels=list(p.notification_channels),
        drug_addiction_treatment=p.drug_addiction_treatment,
        health_group=p.health_group,
    )


REGISTER_PROBLEMS = problems(
    OrganizationForbidden,
    unknown_entity("organization"),
    IinRequired,
    InvalidIinError,
    InvalidPhone,
    BirthDateInFuture,
    PersonalDataConsentRequired,
    DuplicatePatient,
)


@router.post("", status_code=201, response_model=PatientRead, responses=REGISTER_PROBLEMS)
async def register_patient(
    request: Request, body: PatientCreate, session: SessionDep, principal: RegistrarDep, idem: IdempotencyDep
) -> JSONResponse:
    """Register a patient (REC-1, REC-2); emits `patient.registered`."""

    async def run() -> PatientRead:
        now = request.app.state.clock.now()
        patient = await service.register_patient(session, request.app.state.outbox, principal, body, now)
        return to_read(patient)

    return await idem.run(
        run,
        principal_subject=principal.subject,
        headers=lambda r: {"Location": f"/v1/patients/{r.id}"},  # type: ignore[attr-defined]
    )


@router.get("/{patient_id}", response_model=PatientRead, responses=problems(access.PatientNotFound))
async def read_patient(
    patient_id: UUID, session: SessionDep, principal: ReaderDep, response: Response
) -> PatientRead:
    patient = await service.get_patient(session, principal, patient_id)
    response.headers["ETag"] = etag(patient.version)
    return to_read(patient)


@router.patch(
    "/{patient_id}",
    response_model=PatientRead,
    responses=problems(
        access.PatientNotFound,
        WrittenApplicationRequired,
        InvalidPhone,
        PreconditionFailed,
        unknown_entity("organization"),
    ),
)
async def update_patient(
    request: Request,
    patient_id: UUID,
    body: PatientUpdate,
    session: SessionDep,
    principal: UpdaterDep,
    response: Response,
    if_match: IfMatch = None,
) -> PatientRead:
    """REC-19: phone, e-mail and channels by the patient; other data on a written application;
    emits `patient.updated`."""
    patient = await service.update_patient(
        session,
        request.app.state.outbox,
        principal,
        patient_id,
        body,
        request.app.state.clock.now(),
        if_match=if_match,
    )
    response.headers["ETag"] = etag(patient.version)
    return to_read(patient)
