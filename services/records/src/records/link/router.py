"""HTTP layer of links and withholdings (REC-5)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request

from clinic_common.auth import Principal
from clinic_common.db import SessionDep
from clinic_common.openapi import problems, unknown_entity
from clinic_common.schemas import Page

from records import access
from records.link import service
from records.link.domain import (
    LinkAlreadyRevoked,
    LinkKind,
    LinkToSelf,
    RelationNotAllowed,
    WithholdingAlreadyLifted,
)
from records.link.models import PersonLink, Withholding
from records.link.schemas import (
    DocumentRead,
    LinkAllows,
    LinkCreate,
    LinkRead,
    LinkRevoke,
    WithholdingCreate,
    WithholdingLift,
    WithholdingRead,
)

router = APIRouter(prefix="/v1/patients/{patient_id}", tags=["representatives and trusted persons"])

ManagerDep = Annotated[Principal, access.MANAGE_LINKS.dependency()]
ReaderDep = Annotated[Principal, access.READ_LINKS.dependency()]
DoctorDep = Annotated[Principal, access.WITHHOLD.dependency()]

LINK_PROBLEMS = problems(
    access.PatientNotFound, service.PersonUnknown, service.LinkExists, RelationNotAllowed, LinkToSelf
)


def to_read(link: PersonLink) -> LinkRead:
    return LinkRead(
        id=link.id,
        patient_id=link.patient_id,
        person_id=link.person_id,
        kind=link.kind,
        relation=link.relation,
        document=DocumentRead(kind=link.document_kind, number=link.document_number),
        allows=LinkAllows(
            health_information=link.allows_health_information,
            documents=link.allows_documents,
            sign_consent=link.allows_sign_consent,
        ),
        created_at=link.created_at,
        revoked_at=link.revoked_at,
        revocation_reason=link.revocation_reason,
        revocation_note=link.revocation_note,
    )


@router.post("/representatives", status_code=201, response_model=LinkRead, responses=LINK_PROBLEMS)
async def add_representative(
    request: Request, patient_id: UUID, body: LinkCreate, session: SessionDep, principal: ManagerDep
) -> LinkRead:
    """REC-5: a legal representative (parent, guardian, adoptive parent; or their attorney, REC-6)."""
    link = await service.add_link(
        session, principal, patient_id, LinkKind.LEGAL_REPRESENTATIVE, body, request.app.state.clock.now()
    )
    return to_read(link)


@router.post("/trusted-persons", status_code=201, response_model=LinkRead, responses=LINK_PROBLEMS)
async def add_trusted_person(
    request: Request, patient_id: UUID, body: LinkCreate, session: SessionDep, principal: ManagerDep
) -> LinkRead:
    """REC-5: a person the patient names; the link says what they may receive."""
    link = await service.add_link(
        session, principal, patient_id, LinkKind.TRUSTED_PERSON, body, request.app.state.clock.now()
    )
    return to_read(link)


@router.get("/links", response_model=Page[LinkRead], responses=problems(access.PatientNotFound))
async def list_links(
    patient_id: UUID, session: SessionDep, principal: ReaderDep, include_revoked: bool = False
) -> Page[LinkRead]:
    """REC-5: the links in force; with `include_revoked`, the ended ones too, with when and why."""
    links = await service.list_links(session, principal, patient_id, include_revoked=include_revoked)
    return Page(items=[to_read(link) for link in links])


@router.post(
    "/links/{link_id}/revoke",
    response_model=LinkRead,
    responses=problems(access.PatientNotFound, service.LinkNotFound, LinkAlreadyRevoked),
)
async def revoke_link(
    request: Request,
    patient_id: UUID,
    link_id: UUID,
    body: LinkRevoke,
    session: SessionDep,
    principal: ManagerDep,
) -> LinkRead:
    """REC-5: end a representative's or trusted person's link, recorded at the registry."""
    link = await service.revoke_link(
        session, principal, patient_id, link_id, body, request.app.state.clock.now()
    )
    return to_read(link)


def to_withholding(w: Withholding) -> WithholdingRead:
    return WithholdingRead(
        id=w.id,
        patient_id=w.patient_id,
        reason=w.reason,
        disclosed_to=list(w.disclosed_to),
        decided_at=w.decided_at,
        lifted_at=w.lifted_at,
        lift_reason=w.lift_reason,
    )


@router.post(
    "/withholdings",
    status_code=201,
    response_model=WithholdingRead,
    responses=problems(
        access.PatientNotFound,
        access.NotInCare,
        service.PersonUnknown,
        unknown_entity("organization"),
    ),
)
async def withhold(
    request: Request, patient_id: UUID, body: WithholdingCreate, session: SessionDep, principal: DoctorDep
) -> WithholdingRead:
    """REC-5 (O 6.2.15): withhold health information from the patient; listed for review."""
    return to_withholding(
        await service.withhold(session, principal, patient_id, body, request.app.state.clock.now())
    )


@router.post(
    "/withholdings/{withholding_id}/lift",
    response_model=WithholdingRead,
    responses=problems(
        access.PatientNotFound,
        access.NotInCare,
        service.WithholdingNotFound,
        WithholdingAlreadyLifted,
        unknown_entity("organization"),
    ),
)
async def lift_withholding(
    request: Request,
    patient_id: UUID,
    withholding_id: UUID,
    body: WithholdingLift,
    session: SessionDep,
    principal: DoctorDep,
) -> WithholdingRead:
    """REC-5 (O 6.2.15): the attending doctor lifts a withholding; the patient reads again."""
    row = await service.lift_withholding(
        session, principal, patient_id, withholding_id, body, request.app.state.clock.now()
    )
    return to_withholding(row)
