"""HTTP layer of document requests and results (REC-16, REC-17, REC-18)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request, Response

from clinic_common.auth import OrganizationForbidden, Principal
from clinic_common.calendar import local_date
from clinic_common.db import SessionDep
from clinic_common.openapi import problems, unknown_entity
from clinic_common.schemas import Page

from records import access
from records.document import service
from records.document.domain import (
    AlreadyHandedOver,
    AuthorityNotShown,
    ChannelNotOffered,
    EmailChannelForbidden,
    ResultTermExceeded,
)
from records.document.models import DocumentRequest, Result
from records.document.schemas import (
    DocumentRequestCreate,
    DocumentRequestRead,
    HandOver,
    ResultCreate,
    ResultDelayCreate,
    ResultRead,
)
from records.paging import Cursor, InvalidCursor, Limit, encode, page
from records.patient.context import organization

router = APIRouter(tags=["documents and results"])

RegistryDep = Annotated[Principal, access.DOCUMENTS.dependency()]
PublisherDep = Annotated[Principal, access.PUBLISH_RESULT.dependency()]


async def to_request(request: Request, session: SessionDep, r: DocumentRequest) -> DocumentRequestRead:
    org = await organization(session, r.organization_id)
    today = local_date(request.app.state.clock.now(), org.time_zone)
    return DocumentRequestRead(
        id=r.id,
        patient_id=r.patient_id,
        kind=r.kind,
        delivery=r.delivery,
        requested_at=r.requested_at,
        due_on=r.due_on,
        status=r.status,
        overdue=service.is_overdue(r, today),
        handed_over_at=r.handed_over_at,
        handed_to=r.handed_to,
    )


def to_result(r: Result) -> ResultRead:
    return ResultRead(
        id=r.id,
        patient_id=r.patient_id,
        entry_id=r.entry_id,
        kind=r.kind,
        title=r.title,
        published_at=r.published_at,
        notified_at=r.notified_at,
        notified_via=r.notified_via,
    )


@router.post(
    "/v1/document-requests",
    status_code=201,
    response_model=DocumentRequestRead,
    responses=problems(
        access.PatientNotFound, EmailChannelForbidden, ChannelNotOffered, unknown_entity("organization")
    ),
)
async def request_document(
    request: Request, body: DocumentRequestCreate, session: SessionDep, principal: RegistryDep
) -> DocumentRequestRead:
    """REC-16: a written application with its due date; REC-17: e-mail is refused."""
    row = await service.request_document(session, principal, body, request.app.state.clock.now())
    return await to_request(request, session, row)


@router.get(
    "/v1/document-requests",
    response_model=Page[DocumentRequestRead],
    responses=problems(OrganizationForbidden, unknown_entity("organization"), InvalidCursor),
)
async def list_requests(
    request: Request,
    organization_id: UUID,
    session: SessionDep,
    principal: RegistryDep,
    open_only: bool = True,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[DocumentRequestRead]:
    """REC-16: requests tracked until handed over, with the overdue ones flagged."""
    rows = await service.list_requests(
        session, principal, organization_id, open_only=open_only, limit=limit, cursor=cursor
    )
    items, next_cursor = page(rows, limit, lambda r: encode(r.due_on, r.id))
    return Page(items=[await to_request(request, session, r) for r in items], next_cursor=next_cursor)


@router.post(
    "/v1/document-requests/{request_id}/hand-over",
    response_model=DocumentRequestRead,
    responses=problems(
        service.DocumentRequestNotFound, AuthorityNotShown, AlreadyHandedOver, access.PatientNotFound
    ),
)
async def hand_over(
    request: Request, request_id: UUID, body: HandOver, session: SessionDep, principal: RegistryDep
) -> DocumentRequestRead:
    """REC-16: only against an identity document or a document of authority."""
    row = await service.hand_over(session, principal, request_id, body, request.app.state.clock.now())
    return await to_request(request, session, row)


@router.post(
    "/v1/patients/{patient_id}/results",
    status_code=201,
    response_model=ResultRead,
    responses=problems(*access.MEDICAL_ERRORS, ResultTermExceeded, unknown_entity("organization")),
)
async def publish_result(
    request: Request, patient_id: UUID, body: ResultCreate, session: SessionDep, principal: PublisherDep
) -> ResultRead:
    """REC-18: published to the cabinet (the notification, its time recorded); emits `results.published`;
    a `promised_on` past 15 working days after `ordered_on` is refused."""
    result = await service.publish_result(
        session, request.app.state.outbox, principal, patient_id, body, request.app.state.clock.now()
    )
    return to_result(result)


@router.post(
    "/v1/patients/{patient_id}/result-delays",
    status_code=204,
    response_class=Response,
    responses=problems(*access.MEDICAL_ERRORS, service.DelayNotLater, unknown_entity("organization")),
)
async def announce_delay(
    request: Request, patient_id: UUID, body: ResultDelayCreate, session: SessionDep, principal: PublisherDep
) -> Response:
    """REC-18 (O 5.2.4): the patient is told at once that a result will be late."""
    await service.announce_delay(session, principal, patient_id, body, request.app.state.clock.now())
    return Response(status_code=204)
