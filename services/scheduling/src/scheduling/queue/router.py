"""HTTP layer of the electronic queue: the practitioner's queue, call-next, out-of-turn calls,
entering the room, walk-ins (SCH-3, SCH-8, SCH-14)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request

from clinic_common.auth import BranchForbidden, Principal
from clinic_common.db import SessionDep
from clinic_common.openapi import problems, unknown_entity
from clinic_common.schemas import LocalDate

from scheduling import access
from scheduling.appointment.booking import practitioner_of
from scheduling.arrival import service as arrival
from scheduling.catalog.repository import ServiceUnknown
from scheduling.practitioner import service as practitioners
from scheduling.practitioner.domain import BranchNotAssigned, PractitionerNotFound
from scheduling.queue import service
from scheduling.queue.domain import (
    Group,
    NotCalled,
    NotWaiting,
    OutOfTurnReason,
    QueueEmpty,
    QueueEntryNotFound,
)
from scheduling.queue.models import QueueEntry
from scheduling.queue.schemas import OutOfTurnCall, QueueEntryRead, QueueRead, WalkIn, WalkInRead
from scheduling.schedule.domain import OutsideWorkingHours
from scheduling.standing.domain import DebtOpen, PaymentRequired, ServiceRefused

router = APIRouter(prefix="/v1/queues", tags=["queue"])

ReaderDep = Annotated[Principal, access.READ_QUEUE.dependency()]
ServerDep = Annotated[Principal, access.SERVE.dependency()]
RegistryDep = Annotated[Principal, access.CHECK_IN.dependency()]


def entry_read(e: QueueEntry, position: int | None = None) -> QueueEntryRead:
    return QueueEntryRead(
        id=e.id,
        appointment_id=e.appointment_id,
        number=e.number,
        group=Group(e.grp),
        status=e.status,
        position=position,
        arrived_at=e.arrived_at,
        called_at=e.called_at,
        entered_at=e.entered_at,
        out_of_turn_reason=OutOfTurnReason(e.out_of_turn_reason) if e.out_of_turn_reason else None,
    )


@router.get("/{practitioner_id}", response_model=QueueRead, responses=problems(PractitionerNotFound))
async def read_queue(
    request: Request,
    practitioner_id: UUID,
    session: SessionDep,
    principal: ReaderDep,
    date: Annotated[LocalDate | None, Query(description="Branch-local date; today by default")] = None,
) -> QueueRead:
    """SCH-14: each patient's place and status, waiting ones in calling order."""
    practitioner = await practitioners.get_practitioner(session, practitioner_id)
    access.check_can_act_for_practitioner(access.READ_QUEUE, principal, practitioner)
    views = await service.queue_of(session, practitioner, date, request.app.state.clock.now())
    return QueueRead(practitioner_id=practitioner.id, items=[entry_read(v.entry, v.position) for v in views])


@router.post(
    "/{practitioner_id}/call-next",
    response_model=QueueEntryRead,
    responses=problems(PractitionerNotFound, QueueEmpty, PaymentRequired),
)
async def call_next(
    request: Request, practitioner_id: UUID, session: SessionDep, principal: ServerDep
) -> QueueEntryRead:
    """SCH-14: call the next patient (the hall display shows the number and sounds); a paid visit
    not yet paid waits under prepayment (BIL-4)."""
    practitioner = await practitioners.get_practitioner(session, practitioner_id)
    access.check_can_act_for_practitioner(access.SERVE, principal, practitioner)
    return entry_read(
        await service.call_next(session, principal, practitioner, request.app.state.clock.now())
    )


@router.post(
    "/{practitioner_id}/call",
    response_model=QueueEntryRead,
    responses=problems(PractitionerNotFound, QueueEntryNotFound, NotWaiting, PaymentRequired),
)
async def call_out_of_turn(
    request: Request, practitioner_id: UUID, body: OutOfTurnCall, session: SessionDep, principal: ServerDep
) -> QueueEntryRead:
    """SCH-8: take a waiting patient out of turn (severe, acute, infectious, emergency); the
    reason is recorded."""
    practitioner = await practitioners.get_practitioner(session, practitioner_id)
    access.check_can_act_for_practitioner(access.SERVE, principal, practitioner)
    entry = await service.call_out_of_turn(
        session, principal, practitioner, body.entry_id, body.reason, body.note, request.app.state.clock.now()
    )
    return entry_read(entry)


@router.post(
    "/{practitioner_id}/entries/{entry_id}/enter",
    response_model=QueueEntryRead,
    responses=problems(PractitionerNotFound, QueueEntryNotFound, NotCalled),
)
async def enter(
    request: Request, practitioner_id: UUID, entry_id: UUID, session: SessionDep, principal: ServerDep
) -> QueueEntryRead:
    """SCH-14 (O 3.15): the called patient entered the room (`called` → `in_room`); the hall
    display stops showing the number as called. 409 `not_called` for any other status."""
    practitioner = await practitioners.get_practitioner(session, practitioner_id)
    access.check_can_act_for_practitioner(access.SERVE, principal, practitioner)
    return entry_read(
        await service.enter(session, principal, practitioner, entry_id, request.app.state.clock.now())
    )


@router.post(
    "/{practitioner_id}/walk-ins",
    status_code=201,
    response_model=WalkInRead,
    responses=problems(
        PractitionerNotFound,
        unknown_entity("patient"),
        ServiceUnknown,
        BranchNotAssigned,
        BranchForbidden,
        OutsideWorkingHours,
        DebtOpen,
        ServiceRefused,
    ),
)
async def walk_in(
    request: Request, practitioner_id: UUID, body: WalkIn, session: SessionDep, principal: RegistryDep
) -> WalkInRead:
    """SCH-3: check in a walk-in (when the registry agrees, in opening hours) or an emergency
    (at once, never refused) without a booking."""
    practitioner = await practitioners.get_practitioner(session, practitioner_id)
    access.check_can_act_for_practitioner(access.CHECK_IN, principal, practitioner)
    practitioner = await practitioner_of(session, practitioner.id, practitioner.organization_id)
    a, entry, position = await arrival.walk_in(
        session,
        request.app.state.outbox,
        principal,
        practitioner,
        patient_id=body.patient_id,
        branch_id=body.branch_id,
        service_code=body.service_code,
        visit_type=body.visit_type,
        emergency=body.emergency,
        now=request.app.state.clock.now(),
    )
    return WalkInRead(appointment_id=a.id, entry=entry_read(entry, position))
