"""The audit trail, break-glass and the review list (REC-13, REC-14). Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.errors import AppError

from records import access
from records.audit.models import AuditEvent, BreakGlassAccess, ReviewItem
from records.audit.repository import AuditRepository
from records.patient.context import load_patient
from records.patient.models import Patient

BREAK_GLASS_HOURS = 4
"""REC-14: an emergency access lasts long enough for the emergency, then needs a new reason."""


class ReviewNotFound(AppError):
    status = 404
    code = "review_not_found"
    title = "No such review item"


class AlreadyReviewed(AppError):
    status = 409
    code = "already_reviewed"
    title = "The item was already reviewed"
    rule = "REC-14"


async def add_review(
    session: AsyncSession,
    principal: Principal,
    patient: Patient,
    *,
    kind: str,
    ref_id: uuid.UUID,
    reason: str,
    now: datetime,
) -> ReviewItem:
    item = ReviewItem(
        id=uuid.uuid4(),
        organization_id=patient.organization_id,
        patient_id=patient.id,
        kind=kind,
        ref_id=ref_id,
        reason=reason,
        actor_subject=principal.subject,
        created_at=now,
    )
    session.add(item)
    return item


async def open_break_glass(
    session: AsyncSession, principal: Principal, patient_id: uuid.UUID, reason: str, now: datetime
) -> BreakGlassAccess:
    """REC-14 (O 7.8): staff of the organization outside the patient's care read the card in an
    emergency with a stated reason; logged, and listed for the privacy officer's review."""
    patient = await load_patient(session, patient_id)
    await access.check_patient(session, access.BREAK_GLASS, principal, patient)
    glass = BreakGlassAccess(
        id=uuid.uuid4(),
        organization_id=patient.organization_id,
        patient_id=patient.id,
        actor_subject=principal.subject,
        actor_staff_id=principal.staff_id,
        reason=reason,
        opened_at=now,
        expires_at=now + timedelta(hours=BREAK_GLASS_HOURS),
    )
    session.add(glass)
    await add_review(session, principal, patient, kind="break_glass", ref_id=glass.id, reason=reason, now=now)
    return glass


async def audit_trail(
    session: AsyncSession, principal: Principal, patient_id: uuid.UUID, *, limit: int, after: int | None
) -> Sequence[AuditEvent]:
    """REC-13: the privacy officer reads who touched the patient's medical data."""
    patient = await load_patient(session, patient_id)
    access.check_privacy_officer_of(principal, patient.organization_id)
    return await AuditRepository(session).for_patient(patient.id, limit=limit, after=after)


async def reviews(
    session: AsyncSession,
    principal: Principal,
    organization_id: uuid.UUID,
    *,
    open_only: bool,
    kind: str | None,
    limit: int,
    cursor: str | None,
) -> Sequence[ReviewItem]:
    access.check_can_act_in(access.PRIVACY_REVIEW, principal, organization_id)
    return await AuditRepository(session).reviews(
        organization_id, open_only=open_only, kind=kind, limit=limit, cursor=cursor
    )


async def close_review(
    session: AsyncSession, principal: Principal, review_id: uuid.UUID, note: str, now: datetime
) -> ReviewItem:
    item = await AuditRepository(session).review(review_id, for_update=True)
    if item is None or not access.PRIVACY_REVIEW.allows(principal, org_id=item.organization_id):
        raise ReviewNotFound()
    if item.reviewed_at is not None:
        raise AlreadyReviewed()
    item.reviewed_at, item.reviewed_by, item.review_note = now, principal.subject, note
    return item
