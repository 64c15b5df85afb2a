"""HTTP layer of the personal cabinet (REC-19)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request

from clinic_common.auth import Principal
from clinic_common.cabinet import is_open
from clinic_common.db import SessionDep
from clinic_common.openapi import problems

from records import access
from records.cabinet import service
from records.cabinet.models import Cabinet
from records.cabinet.schemas import CabinetGrant, CabinetRead, CabinetRestriction

router = APIRouter(prefix="/v1/patients/{patient_id}/cabinet-access", tags=["personal cabinet"])

RegistryDep = Annotated[Principal, access.CABINET_GRANT.dependency()]
ReaderDep = Annotated[Principal, access.CABINET_READ.dependency()]
OrganizationDep = Annotated[Principal, access.CABINET_RESTRICT.dependency()]


def to_read(patient_id: UUID, c: Cabinet | None) -> CabinetRead:
    if c is None:
        return CabinetRead(patient_id=patient_id, granted_at=None, restricted=False, open=False)
    return CabinetRead(
        patient_id=patient_id,
        granted_at=c.granted_at,
        restricted=c.restricted,
        open=is_open(True, c.restricted),
    )


@router.post(
    "",
    status_code=201,
    response_model=CabinetRead,
    responses=problems(
        access.PatientNotFound, service.IdentityDocumentMismatch, service.CabinetAlreadyInState
    ),
)
async def grant(
    request: Request, patient_id: UUID, body: CabinetGrant, session: SessionDep, principal: RegistryDep
) -> CabinetRead:
    """REC-19: registry only, in person, on the identity document; emits `cabinet.access_granted`."""
    cabinet = await service.grant(
        session, request.app.state.outbox, principal, patient_id, body, request.app.state.clock.now()
    )
    return to_read(patient_id, cabinet)


@router.get("", response_model=CabinetRead, responses=problems(access.PatientNotFound))
async def read(patient_id: UUID, session: SessionDep, principal: ReaderDep) -> CabinetRead:
    pid, cabinet = await service.get_cabinet(session, principal, patient_id)
    return to_read(pid, cabinet)


@router.post(
    "/restriction",
    response_model=CabinetRead,
    responses=problems(access.PatientNotFound, service.CabinetNotGranted, service.CabinetAlreadyInState),
)
async def restrict(
    request: Request,
    patient_id: UUID,
    body: CabinetRestriction,
    session: SessionDep,
    principal: OrganizationDep,
) -> CabinetRead:
    """REC-19 (P 10.7): the organization restricts access; emits `cabinet.access_restricted`."""
    cabinet = await service.restrict(
        session,
        request.app.state.outbox,
        principal,
        patient_id,
        restricted=True,
        reason=body.reason,
        now=request.app.state.clock.now(),
    )
    return to_read(patient_id, cabinet)


@router.post(
    "/restoration",
    response_model=CabinetRead,
    responses=problems(access.PatientNotFound, service.CabinetNotGranted, service.CabinetAlreadyInState),
)
async def restore(
    request: Request, patient_id: UUID, session: SessionDep, principal: OrganizationDep
) -> CabinetRead:
    """REC-19: the restriction is lifted; emits `cabinet.access_restored`."""
    cabinet = await service.restrict(
        session,
        request.app.state.outbox,
        principal,
        patient_id,
        restricted=False,
        reason=None,
        now=request.app.state.clock.now(),
    )
    return to_read(patient_id, cabinet)
