"""HTTP layer of complaints and feedback (REC-20, REC-21)."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request

from clinic_common.auth import OrganizationForbidden, Principal
from clinic_common.calendar import local_date
from clinic_common.db import SessionDep
from clinic_common.openapi import problems, unknown_entity
from clinic_common.schemas import Page

from records import access
from records.complaint import service
from records.complaint.domain import (
    AlreadyDecided,
    AnswerChannelNotAllowed,
    ComplaintNotFound,
    RefundNotAllowed,
    is_overdue,
)
from records.complaint.models import Complaint
from records.complaint.schemas import ComplaintCreate, ComplaintRead, Decision
from records.paging import Cursor, InvalidCursor, Limit, encode, page
from records.patient.context import organization

router = APIRouter(prefix="/v1/complaints", tags=["complaints and feedback"])

FilerDep = Annotated[Principal, access.FILE_COMPLAINT.dependency()]
ReaderDep = Annotated[Principal, access.READ_COMPLAINTS.dependency()]
DeciderDep = Annotated[Principal, access.DECIDE_COMPLAINT.dependency()]


def to_read(c: Complaint, today: date) -> ComplaintRead:
    return ComplaintRead(
        id=c.id,
        patient_id=c.patient_id,
        kind=c.kind,
        answer_channel=c.answer_channel,
        filed_at=c.filed_at,
        due_on=c.due_on,
        status=c.status,
        overdue=is_overdue(c.due_on, c.status == "decided", today),
        upheld=c.upheld,
        decided_at=c.decided_at,
    )


@router.post(
    "",
    status_code=201,
    response_model=ComplaintRead,
    responses=problems(
        access.PatientNotFound,
        service.ComplaintThroughRegistry,
        AnswerChannelNotAllowed,
        unknown_entity("organization"),
    ),
)
async def file(
    request: Request, body: ComplaintCreate, session: SessionDep, principal: FilerDep
) -> ComplaintRead:
    """REC-20: due within 20 working days; REC-21: feedback within 15 (the organization's calendar)."""
    row = await service.file(session, principal, body, request.app.state.clock.now())
    return to_read(row, row.filed_on)


@router.get(
    "",
    response_model=Page[ComplaintRead],
    responses=problems(OrganizationForbidden, unknown_entity("organization"), InvalidCursor),
)
async def listing(
    request: Request,
    organization_id: UUID,
    session: SessionDep,
    principal: ReaderDep,
    overdue: bool = False,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ComplaintRead]:
    """REC-20: overdue complaints are visible (`?overdue=true`), in the order they were filed."""
    rows, today = await service.listing(
        session,
        principal,
        organization_id,
        overdue_only=overdue,
        now=request.app.state.clock.now(),
        limit=limit,
        cursor=cursor,
    )
    items, next_cursor = page(rows, limit, lambda c: encode(c.filed_at, c.id))
    return Page(items=[to_read(c, today) for c in items], next_cursor=next_cursor)


@router.post(
    "/{complaint_id}/decision",
    response_model=ComplaintRead,
    responses=problems(
        ComplaintNotFound,
        AlreadyDecided,
        RefundNotAllowed,
        service.RefundCurrency,
        access.PatientNotFound,
        unknown_entity("organization"),
    ),
)
async def decide(
    request: Request, complaint_id: UUID, body: Decision, session: SessionDep, principal: DeciderDep
) -> ComplaintRead:
    """REC-20: the answer; `complaint.decided` carries any refund ordered (BIL-9)."""
    now = request.app.state.clock.now()
    row = await service.decide(session, request.app.state.outbox, principal, complaint_id, body, now)
    org = await organization(session, row.organization_id)
    return to_read(row, local_date(now, org.time_zone))
