"""HTTP layer of absences (SCH-11)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from clinic_common.auth import Principal
from clinic_common.db import SessionDep
from clinic_common.openapi import problems
from clinic_common.schemas import Instant, RequestModel

from scheduling import access
from scheduling.absence import service
from scheduling.absence.service import AbsenceInverted
from scheduling.practitioner import service as practitioners
from scheduling.practitioner.domain import PractitionerNotFound

router = APIRouter(prefix="/v1/practitioners", tags=["absences"])

DeclarerDep = Annotated[Principal, access.DECLARE_ABSENCE.dependency()]


class AbsenceCreate(RequestModel):
    from_: Instant = Field(alias="from")
    to: Instant
    reason: str = Field(min_length=1, max_length=200)


class AbsenceRead(BaseModel):
    id: UUID
    practitioner_id: UUID
    starts: datetime
    ends: datetime
    reason: str
    cancelled_appointment_ids: list[UUID]


@router.post(
    "/{practitioner_id}/absences",
    status_code=201,
    response_model=AbsenceRead,
    responses=problems(PractitionerNotFound, AbsenceInverted),
)
async def declare_absence(
    request: Request, practitioner_id: UUID, body: AbsenceCreate, session: SessionDep, principal: DeclarerDep
) -> AbsenceRead:
    """SCH-11: the practitioner is ill or absent: every visit in the period is cancelled (reason
    `absence`, refundable), one `appointment.cancelled` per patient."""
    practitioner = await practitioners.get_practitioner(session, practitioner_id)
    absence, cancelled = await service.declare(
        session,
        request.app.state.outbox,
        principal,
        practitioner,
        starts=body.from_,
        ends=body.to,
        reason=body.reason,
        now=request.app.state.clock.now(),
    )
    return AbsenceRead(
        id=absence.id,
        practitioner_id=practitioner.id,
        starts=absence.starts_at,
        ends=absence.ends_at,
        reason=absence.reason,
        cancelled_appointment_ids=[a.id for a in cancelled],
    )
