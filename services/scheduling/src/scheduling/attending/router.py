"""HTTP layer of the patient's attending practitioner (SCH-15)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response

from clinic_common.auth import ForbiddenRole, Principal
from clinic_common.db import SessionDep
from clinic_common.errors import PreconditionFailed
from clinic_common.etag import IfMatch
from clinic_common.openapi import problems, unknown_entity

from scheduling import access
from scheduling.attending import service
from scheduling.attending.domain import Capacity, ProgramManagerRequired, ReplacementReasonRequired
from scheduling.attending.schemas import AttendingChangeRead, AttendingChoice, AttendingRead
from scheduling.patient.domain import PatientNotFound

router = APIRouter(prefix="/v1/patients/{patient_id}/attending-practitioner", tags=["attending practitioner"])

ReaderDep = Annotated[Principal, access.READ_ATTENDING.dependency()]
ChooserDep = Annotated[Principal, access.SET_ATTENDING.dependency()]


def attending_read(a: service.Attending) -> AttendingRead:
    tz = ZoneInfo(a.time_zone)
    return AttendingRead(
        patient_id=a.patient.id,
        organization_id=a.patient.organization_id,
        practitioner_id=a.current.practitioner_id if a.current else None,
        since=a.current.since.astimezone(tz) if a.current else None,
        version=a.version,
        history=[
            AttendingChangeRead(
                practitioner_id=c.practitioner_id,
                previous_practitioner_id=c.previous_practitioner_id,
                capacity=Capacity(c.capacity),
                role=c.role,
                chosen_by=c.chosen_by,
                reason=c.reason,
                at=c.at.astimezone(tz),
            )
            for c in a.history
        ],
    )


@router.get("", response_model=AttendingRead, responses=problems(PatientNotFound))
async def read(
    patient_id: UUID, response: Response, session: SessionDep, principal: ReaderDep
) -> AttendingRead:
    """SCH-15: the patient's attending practitioner (None until chosen) with who chose each one,
    in which capacity, when and why; its `ETag` for `If-Match` on changes."""
    a = await service.read(session, principal, patient_id)
    response.headers["ETag"] = a.etag
    return attending_read(a)


@router.put(
    "",
    response_model=AttendingRead,
    responses=problems(
        PatientNotFound,
        ForbiddenRole,
        ProgramManagerRequired,
        PreconditionFailed,
        unknown_entity("practitioner"),
        ReplacementReasonRequired,
    ),
)
async def choose(
    request: Request,
    patient_id: UUID,
    body: AttendingChoice,
    response: Response,
    session: SessionDep,
    principal: ChooserDep,
    if_match: IfMatch = None,
) -> AttendingRead:
    """SCH-15: the patient chooses or changes the attending practitioner among the organization's
    (O 6.2.1); under a program a patient token gets 403 `program_manager_required` and the
    personal manager (call centre, registry) makes the change (P 12.2.3); the organization
    replaces with a `reason` (O 5.2.8). Each real change is announced as
    `attending_practitioner.changed`."""
    outbox, now = request.app.state.outbox, request.app.state.clock.now()
    a = await service.choose(session, outbox, principal, patient_id, body, if_match, now)
    response.headers["ETag"] = a.etag
    return attending_read(a)
