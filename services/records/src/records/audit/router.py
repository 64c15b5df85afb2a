"""HTTP layer of the audit trail and the review list (REC-13, REC-14)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request

from clinic_common.auth import OrganizationForbidden, Principal
from clinic_common.db import SessionDep
from clinic_common.openapi import problems

from records import access
from records.audit import service
from records.audit.models import AuditEvent, ReviewItem
from records.audit.schemas import AuditPage, AuditRead, ReviewClose, ReviewKind, ReviewPage, ReviewRead
from records.paging import Cursor, InvalidCursor, Limit, encode, page

router = APIRouter(tags=["audit"])

OfficerDep = Annotated[Principal, access.PRIVACY_REVIEW.dependency()]


def to_audit(a: AuditEvent) -> AuditRead:
    return AuditRead(
        id=a.id,
        at=a.at,
        patient_id=a.patient_id,
        entry_id=a.entry_id,
        resource=a.resource,
        action=a.action,
        purpose=a.purpose,
        actor_subject=a.actor_subject,
        actor_roles=list(a.actor_roles),
        actor_staff_id=a.actor_staff_id,
        actor_person_id=a.actor_person_id,
        break_glass_id=a.break_glass_id,
    )


def to_review(r: ReviewItem) -> ReviewRead:
    return ReviewRead(
        id=r.id,
        organization_id=r.organization_id,
        patient_id=r.patient_id,
        kind=r.kind,
        ref_id=r.ref_id,
        reason=r.reason,
        actor_subject=r.actor_subject,
        created_at=r.created_at,
        reviewed_at=r.reviewed_at,
        reviewed_by=r.reviewed_by,
        review_note=r.review_note,
    )


@router.get("/v1/audit", response_model=AuditPage, responses=problems(access.PatientNotFound, InvalidCursor))
async def audit_trail(
    patient_id: UUID,
    session: SessionDep,
    principal: OfficerDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> AuditPage:
    """REC-13: every read and change of the patient's medical data: who, when, role, entry, purpose."""
    if cursor is not None and not cursor.isdigit():
        raise InvalidCursor()
    rows = list(
        await service.audit_trail(
            session, principal, patient_id, limit=limit, after=int(cursor) if cursor else None
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(items=[to_audit(a) for a in rows], next_cursor=str(rows[-1].id) if more else None)


@router.get(
    "/v1/reviews", response_model=ReviewPage, responses=problems(OrganizationForbidden, InvalidCursor)
)
async def reviews(
    organization_id: UUID,
    session: SessionDep,
    principal: OfficerDep,
    open_only: bool = True,
    kind: ReviewKind | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ReviewPage:
    """REC-14 (break-glass), REC-9 (care without consent), REC-15 (police reports), REC-5
    (withholdings): what the privacy officer reviews."""
    rows = list(
        await service.reviews(
            session, principal, organization_id, open_only=open_only, kind=kind, limit=limit, cursor=cursor
        )
    )
    items, next_cursor = page(rows, limit, lambda r: encode(r.created_at, r.id))
    return ReviewPage(items=[to_review(r) for r in items], next_cursor=next_cursor)


@router.post(
    "/v1/reviews/{review_id}/close",
    response_model=ReviewRead,
    responses=problems(service.ReviewNotFound, service.AlreadyReviewed),
)
async def close_review(
    request: Request, review_id: UUID, body: ReviewClose, session: SessionDep, principal: OfficerDep
) -> ReviewRead:
    item = await service.close_review(session, principal, review_id, body.note, request.app.state.clock.now())
    return to_review(item)
