"""HTTP layer of consents, refusals and the consent list (REC-2, REC-7, REC-9, REC-10)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Request

from clinic_common.auth import OrganizationForbidden, Principal
from clinic_common.db import SessionDep
from clinic_common.openapi import problems, unknown_entity
from clinic_common.schemas import Page

from records import access
from records.consent import service
from records.consent.models import ConsentRequiredIntervention, Refusal
from records.consent.schemas import (
    ConsentCreate,
    ConsentRead,
    InterventionListItem,
    InterventionListRead,
    RefusalCreate,
    RefusalRead,
)
from records.link.domain import ConsentSignerNotAllowed
from records.patient.models import Consent

router = APIRouter(tags=["consents"])

RecorderDep = Annotated[Principal, access.RECORD_CONSENT.dependency()]
ReaderDep = Annotated[Principal, access.READ_PATIENT.dependency()]
WorkerDep = Annotated[Principal, access.RECORD_REFUSAL.dependency()]
ListReaderDep = Annotated[Principal, access.READ_INTERVENTION_LIST.dependency()]
ListWriterDep = Annotated[Principal, access.INTERVENTION_LIST.dependency()]


def to_consent(c: Consent) -> ConsentRead:
    return ConsentRead(
        id=c.id,
        patient_id=c.patient_id,
        kind=c.kind,
        given=c.given,
        channel=c.channel,
        given_at=c.given_at,
        signed_by=c.signed_by,
        signer_role=c.signer_role,
        to_person_id=c.to_person_id,
        intervention_code=c.intervention_code,
    )


def to_refusal(r: Refusal) -> RefusalRead:
    return RefusalRead(
        id=r.id,
        patient_id=r.patient_id,
        intervention_code=r.intervention_code,
        consequences_explained=r.consequences_explained,
        signed_by=r.signed_by,
        signer_role=r.signer_role,
        worker_staff_id=r.worker_staff_id,
        recorded_at=r.recorded_at,
    )


@router.post(
    "/v1/patients/{patient_id}/consents",
    status_code=201,
    response_model=ConsentRead,
    responses=problems(
        access.PatientNotFound,
        OrganizationForbidden,
        ConsentSignerNotAllowed,
        service.ConsentTargetRequired,
        unknown_entity("organization"),
    ),
)
async def record_consent(
    request: Request, patient_id: UUID, body: ConsentCreate, session: SessionDep, principal: RecorderDep
) -> ConsentRead:
    """REC-2, REC-7, REC-9: a consent signed by whom the patient's age allows; `consent.recorded`."""
    consent = await service.record_consent(
        session, request.app.state.outbox, principal, patient_id, body, request.app.state.clock.now()
    )
    return to_consent(consent)


@router.get(
    "/v1/patients/{patient_id}/consents",
    response_model=Page[ConsentRead],
    responses=problems(access.PatientNotFound, unknown_entity("organization")),
)
async def list_consents(
    request: Request, patient_id: UUID, session: SessionDep, principal: ReaderDep
) -> Page[ConsentRead]:
    """Every consent and withdrawal, oldest first (the latest of a kind is in force)."""
    rows = await service.list_consents(session, principal, patient_id, request.app.state.clock.now())
    return Page(items=[to_consent(c) for c in rows])


@router.post(
    "/v1/patients/{patient_id}/refusals",
    status_code=201,
    response_model=RefusalRead,
    responses=problems(
        *access.MEDICAL_ERRORS,
        ConsentSignerNotAllowed,
        service.WorkerSignatureRequired,
        unknown_entity("organization"),
    ),
)
async def record_refusal(
    request: Request, patient_id: UUID, body: RefusalCreate, session: SessionDep, principal: WorkerDep
) -> RefusalRead:
    """REC-10: a refusal with consequences explained, signed by both."""
    refusal = await service.record_refusal(
        session, request.app.state.outbox, principal, patient_id, body, request.app.state.clock.now()
    )
    return to_refusal(refusal)


def to_list(organization_id: UUID, rows: list[ConsentRequiredIntervention]) -> InterventionListRead:
    return InterventionListRead(
        organization_id=organization_id,
        items=[InterventionListItem(code=r.code, name=r.name, source=r.source) for r in rows],
    )


@router.get(
    "/v1/organizations/{organization_id}/consent-required-interventions",
    response_model=InterventionListRead,
    responses=problems(OrganizationForbidden),
)
async def read_intervention_list(
    organization_id: UUID, session: SessionDep, principal: ListReaderDep
) -> InterventionListRead:
    """REC-9 (P 4.5): the organization's legal list of interventions that need consent."""
    rows = await service.intervention_list(session, principal, organization_id)
    return to_list(organization_id, list(rows))


@router.put(
    "/v1/organizations/{organization_id}/consent-required-interventions",
    response_model=InterventionListRead,
    responses=problems(OrganizationForbidden, unknown_entity("organization")),
)
async def replace_intervention_list(
    organization_id: UUID,
    body: Annotated[list[InterventionListItem], Body(max_length=500)],
    session: SessionDep,
    principal: ListWriterDep,
) -> InterventionListRead:
    """REC-9: the list is data per organization; the body replaces it."""
    rows = await service.replace_intervention_list(session, principal, organization_id, body)
    return to_list(organization_id, list(rows))
