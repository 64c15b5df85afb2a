"""HTTP layer of conduct (REC-22)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request

from clinic_common.auth import Principal
from clinic_common.db import SessionDep
from clinic_common.openapi import problems, unknown_entity
from clinic_common.schemas import Page

from records import access
from records.conduct import service
from records.conduct.domain import AlreadyRefused, RefusalEndangers, TerminationNotAllowed
from records.conduct.models import Violation
from records.conduct.schemas import ServiceRefusalCreate, ServiceRefusalRead, ViolationCreate, ViolationRead

router = APIRouter(prefix="/v1/patients/{patient_id}", tags=["conduct"])

StaffDep = Annotated[Principal, access.CONDUCT.dependency()]
OrganizationDep = Annotated[Principal, access.REFUSE_SERVICE.dependency()]


def to_read(v: Violation) -> ViolationRead:
    return ViolationRead(
        id=v.id,
        patient_id=v.patient_id,
        kind=v.kind,
        occurred_at=v.occurred_at,
        appointment_id=v.appointment_id,
        note=v.note,
    )


@router.post(
    "/violations", status_code=201, response_model=ViolationRead, responses=problems(access.PatientNotFound)
)
async def add_violation(
    request: Request, patient_id: UUID, body: ViolationCreate, session: SessionDep, principal: StaffDep
) -> ViolationRead:
    """REC-22: a conduct or compliance violation (a failure to follow medical advice, say)."""
    return to_read(
        await service.add_violation(session, principal, patient_id, body, request.app.state.clock.now())
    )


@router.get("/violations", response_model=Page[ViolationRead], responses=problems(access.PatientNotFound))
async def violations(patient_id: UUID, session: SessionDep, principal: StaffDep) -> Page[ViolationRead]:
    return Page(items=[to_read(v) for v in await service.violations(session, principal, patient_id)])


@router.post(
    "/service-refusal",
    status_code=201,
    response_model=ServiceRefusalRead,
    responses=problems(
        access.PatientNotFound,
        TerminationNotAllowed,
        RefusalEndangers,
        AlreadyRefused,
        unknown_entity("organization"),
    ),
)
async def refuse_service(
    request: Request,
    patient_id: UUID,
    body: ServiceRefusalCreate,
    session: SessionDep,
    principal: OrganizationDep,
) -> ServiceRefusalRead:
    """REC-22 (O 8.6): end the contract after two failures to follow advice; `patient.service_refused`."""
    row = await service.refuse_service(
        session, request.app.state.outbox, principal, patient_id, body, request.app.state.clock.now()
    )
    return ServiceRefusalRead(
        id=row.id, patient_id=row.patient_id, refused_from=row.refused_from, reason=row.reason
    )
