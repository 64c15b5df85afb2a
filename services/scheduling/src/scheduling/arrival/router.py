"""HTTP layer of arrival: check-in, late arrival, closing the visit (SCH-7, SCH-14)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request

from clinic_common.auth import BranchForbidden, Principal
from clinic_common.db import SessionDep
from clinic_common.openapi import problems

from scheduling import access
from scheduling.appointment.domain import (
    AppointmentNotFound,
    LateOptionNeedsTime,
    NoLatenessDecision,
    NotCheckinable,
    NotInProgress,
    OptionNotOffered,
    TransferNeedsSameSpecialty,
)
from scheduling.appointment.router import TIME_PROBLEMS, view
from scheduling.appointment.schemas import (
    AppointmentRead,
    CheckInBody,
    CheckInRead,
    LateArrivalBody,
    QueuePlace,
)
from scheduling.arrival import service
from scheduling.arrival.service import ArrivalInFuture
from scheduling.organization.domain import LatenessOption
from scheduling.queue.models import QueueEntry

router = APIRouter(prefix="/v1/appointments", tags=["arrival"])

RegistryDep = Annotated[Principal, access.CHECK_IN.dependency()]
ServerDep = Annotated[Principal, access.SERVE.dependency()]


def place(entry: QueueEntry | None, position: int | None) -> QueuePlace | None:
    if entry is None:
        return None
    return QueuePlace(number=entry.number, position=position or 0, group=entry.grp)


@router.post(
    "/{appointment_id}/check-in",
    response_model=CheckInRead,
    responses=problems(AppointmentNotFound, NotCheckinable, ArrivalInFuture),
)
async def check_in(
    request: Request, appointment_id: UUID, body: CheckInBody, session: SessionDep, principal: RegistryDep
) -> CheckInRead:
    """SCH-7, SCH-14: check the patient in; returns the lateness, the options the policy allows
    and, when served at once, the pass (`queue`). Emits `appointment.arrived`."""
    a, options, entry, position = await service.check_in(
        session,
        request.app.state.outbox,
        principal,
        appointment_id,
        body.arrived_at,
        request.app.state.clock.now(),
    )
    return CheckInRead(
        appointment=await view(session, a),
        lateness_minutes=a.lateness_minutes or 0,
        options=[LatenessOption(o) for o in options],
        queue=place(entry, position),
    )


@router.post(
    "/{appointment_id}/late-arrival",
    response_model=CheckInRead,
    responses=problems(
        AppointmentNotFound,
        NoLatenessDecision,
        OptionNotOffered,
        LateOptionNeedsTime,
        TransferNeedsSameSpecialty,
        BranchForbidden,
        *TIME_PROBLEMS,
    ),
)
async def late_arrival(
    request: Request, appointment_id: UUID, body: LateArrivalBody, session: SessionDep, principal: RegistryDep
) -> CheckInRead:
    """SCH-7: apply one of the offered options; `option_not_offered` for any other."""
    a, entry, position = await service.late_arrival(
        session, request.app.state.outbox, principal, appointment_id, body, request.app.state.clock.now()
    )
    return CheckInRead(
        appointment=await view(session, a),
        lateness_minutes=a.lateness_minutes or 0,
        options=[body.option],
        queue=place(entry, position),
    )


@router.post(
    "/{appointment_id}/complete",
    response_model=AppointmentRead,
    responses=problems(AppointmentNotFound, NotInProgress),
)
async def complete(
    request: Request, appointment_id: UUID, session: SessionDep, principal: ServerDep
) -> AppointmentRead:
    """The practitioner closes the visit: `fulfilled`; billing issues the act (BIL-6)."""
    a = await service.complete(
        session, request.app.state.outbox, principal, appointment_id, request.app.state.clock.now()
    )
    return await view(session, a)
