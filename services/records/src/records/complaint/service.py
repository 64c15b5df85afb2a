"""Complaints, feedback and incidents (REC-20, REC-21). Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal, Role
from clinic_common.calendar import local_date
from clinic_common.errors import AppError
from clinic_common.events.catalog import type_of
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.records import ComplaintDecided

from records import access
from records.complaint.domain import (
    AlreadyDecided,
    ComplaintNotFound,
    answer_due_on,
    check_answer_channel,
    check_refund,
)
from records.complaint.models import Complaint
from records.complaint.schemas import ComplaintCreate, Decision
from records.notification.service import notify
from records.paging import keyset
from records.patient.context import context_of, load_patient, organization


class ComplaintThroughRegistry(AppError):
    status = 403
    code = "complaint_through_registry"
    title = "A complaint is filed in writing through the registry"
    rule = "REC-20"


class RefundCurrency(AppError):
    status = 422
    code = "currency_not_accepted"
    title = "A refund is in the organization's currency"
    rule = "REC-20"


async def file(
    session: AsyncSession, principal: Principal, body: ComplaintCreate, now: datetime
) -> Complaint:
    """REC-20: in writing through the registry, answered within 20 working days; REC-21: feedback
    any way, answered within 15; O 11.1: medical incidents registered for analysis."""
    patient = await load_patient(session, body.patient_id)
    await access.check_patient(session, access.FILE_COMPLAINT, principal, patient)
    by_patient = access.acts_as_patient(access.FILE_COMPLAINT, principal)
    if by_patient and not access.is_self(principal, patient):
        raise access.PatientNotFound()
    if (
        body.kind != "feedback"
        and Role.REGISTRAR not in principal.roles
        and Role.ADMIN not in principal.roles
    ):
        raise ComplaintThroughRegistry()
    check_answer_channel(body.kind, body.answer_channel)
    ctx = await context_of(session, patient, now)
    row = Complaint(
        id=uuid.uuid4(),
        organization_id=patient.organization_id,
        patient_id=patient.id,
        kind=body.kind,
        text=body.text,
        answer_channel=body.answer_channel,
        filed_at=now,
        filed_on=ctx.today,
        due_on=answer_due_on(body.kind, ctx.policy.country, ctx.today),
        filed_by=principal.subject,
        status="open",
    )
    session.add(row)
    await session.flush()
    return row


async def listing(
    session: AsyncSession,
    principal: Principal,
    organization_id: uuid.UUID,
    *,
    overdue_only: bool,
    now: datetime,
    limit: int,
    cursor: str | None,
) -> tuple[Sequence[Complaint], date]:
    """REC-20: overdue complaints are visible."""
    access.check_can_act_in(access.READ_COMPLAINTS, principal, organization_id)
    org = await organization(session, organization_id)
    today = local_date(now, org.time_zone)
    stmt = select(Complaint).where(Complaint.organization_id == organization_id)
    if overdue_only:
        stmt = stmt.where(Complaint.status == "open", Complaint.due_on < today)
    stmt = keyset(stmt, Complaint.filed_at, Complaint.id, cursor=cursor, key_type=datetime, limit=limit)
    return (await session.execute(stmt)).scalars().all(), today


async def decide(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    complaint_id: uuid.UUID,
    body: Decision,
    now: datetime,
) -> Complaint:
    """REC-20 (O 11.5): the answer; an upheld complaint may order a refund, carried by
    `complaint.decided` for billing to pay within 10 working days (BIL-9)."""
    row = await session.get(Complaint, complaint_id, with_for_update=True)
    if row is None or not access.DECIDE_COMPLAINT.allows(principal, org_id=row.organization_id):
        raise ComplaintNotFound()
    if row.status == "decided":
        raise AlreadyDecided()
    org = await organization(session, row.organization_id)
    amount = body.refund.to_money() if body.refund else None
    if amount is not None and str(amount.currency) != org.currency:
        raise RefundCurrency()
    check_refund(body.upheld, amount.to_decimal() if amount else None, body.invoice_id is not None)
    row.status, row.decided_at, row.decided_by = "decided", now, principal.subject
    row.upheld, row.answer = body.upheld, body.answer
    if amount is not None:
        row.refund_amount_minor, row.refund_currency = amount.amount_minor, str(amount.currency)
        row.invoice_id = body.invoice_id
    await outbox.add(
        session,
        type=type_of(ComplaintDecided),
        aggregate_id=row.id,
        org_id=row.organization_id,
        now=now,
        data=ComplaintDecided(
            complaint_id=row.id,
            patient_id=row.patient_id,
            upheld=body.upheld,
            refund_amount=body.refund.amount if body.refund else None,
            refund_currency=body.refund.currency if body.refund else None,
            invoice_id=body.invoice_id if body.refund else None,
        ),
    )
    patient = await load_patient(session, row.patient_id)
    await notify(
        session,
        patient,
        kind="complaint_answered",
        title="Answer to your complaint",
        body=body.answer,
        medical=False,
        cause=f"complaint:{row.id}",
        now=now,
        data={"complaint_id": str(row.id)},
    )
    return row
