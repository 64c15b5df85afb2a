"""Document requests, hand-over and results (REC-16, REC-17, REC-18). Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.errors import AppError
from clinic_common.events.catalog import type_of
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.records import ResultsPublished

from records import access
from records.card.models import CardEntry
from records.card.service import granted_access, new_entry, write_entry
from records.document.domain import (
    AlreadyHandedOver,
    Holder,
    check_channel,
    check_hand_over,
    check_result_term,
    document_due_on,
)
from records.document.models import DocumentRequest, Result
from records.document.schemas import DocumentRequestCreate, HandOver, ResultCreate, ResultDelayCreate
from records.link.repository import LinkRepository
from records.notification.service import cabinet_open, notify
from records.paging import keyset
from records.patient.context import context_of, load_patient


class DocumentRequestNotFound(AppError):
    status = 404
    code = "document_request_not_found"
    title = "No such document request"


class DelayNotLater(AppError):
    status = 422
    code = "delay_not_later"
    title = "A delay announces a date later than the one promised"
    rule = "REC-18"


async def request_document(
    session: AsyncSession, principal: Principal, body: DocumentRequestCreate, now: datetime
) -> DocumentRequest:
    """REC-16 (P 9.5): a written application at the registry, prepared by a due date in working
    days; REC-17: never by e-mail, WhatsApp only where the organization uses it."""
    patient = await load_patient(session, body.patient_id)
    await access.check_patient(session, access.DOCUMENTS, principal, patient)
    ctx = await context_of(session, patient, now)
    check_channel(body.delivery, ctx.policy.medical_info_channels)
    row = DocumentRequest(
        id=uuid.uuid4(),
        organization_id=patient.organization_id,
        patient_id=patient.id,
        kind=body.kind,
        delivery=body.delivery,
        application_ref=body.application_ref,
        requested_at=now,
        due_on=document_due_on(ctx.policy.country, ctx.today, ctx.policy.document_due_days(body.kind)),
        status="requested",
        recorded_by=principal.subject,
    )
    session.add(row)
    await session.flush()
    return row


async def list_requests(
    session: AsyncSession,
    principal: Principal,
    organization_id: uuid.UUID,
    *,
    open_only: bool,
    limit: int,
    cursor: str | None,
) -> Sequence[DocumentRequest]:
    """REC-16: tracked until handed over, the earliest due first."""
    access.check_can_act_in(access.DOCUMENTS, principal, organization_id)
    stmt = select(DocumentRequest).where(DocumentRequest.organization_id == organization_id)
    if open_only:
        stmt = stmt.where(DocumentRequest.status == "requested")
    stmt = keyset(stmt, DocumentRequest.due_on, DocumentRequest.id, cursor=cursor, key_type=date, limit=limit)
    return (await session.execute(stmt)).scalars().all()


async def hand_over(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID, body: HandOver, now: datetime
) -> DocumentRequest:
    """REC-16 (P 9.1, O 5.1.9): to the patient on their identity document, or to a representative
    or trusted person whose link allows documents, on the link's document of authority."""
    row = await session.get(DocumentRequest, request_id, with_for_update=True)
    if row is None or not access.DOCUMENTS.allows(principal, org_id=row.organization_id):
        raise DocumentRequestNotFound()
    if row.status == "handed_over":
        raise AlreadyHandedOver()
    patient = await load_patient(session, row.patient_id)
    holders = [Holder(patient.id, (patient.identity_document_kind, patient.identity_document_number), True)]
    holders += [
        Holder(link.person_id, (link.document_kind, link.document_number), link.allows_documents)
        for link in await LinkRepository(session).active(patient.id)
    ]
    check_hand_over(body.person_id, (body.document.kind, body.document.number), holders)
    row.status, row.handed_over_at, row.handed_to = "handed_over", now, body.person_id
    row.handed_on_document = f"{body.document.kind} {body.document.number}"
    return row


def is_overdue(row: DocumentRequest, today: date) -> bool:
    return row.status != "handed_over" and today > row.due_on


async def publish_result(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    patient_id: uuid.UUID,
    body: ResultCreate,
    now: datetime,
) -> Result:
    """REC-18 (P 9.3, P 10.8): published to the cabinet; publication is the notification and its
    time is recorded. A restricted (or never opened) cabinet does not count: the patient is told
    by another channel, and `notified_at` waits for that delivery. A promise is at most 15 of the
    organization's working days after the order or sample (O 3.7)."""
    g = await granted_access(session, access.PUBLISH_RESULT, principal, patient_id, now)
    check_result_term(g.ctx.policy.country, body.ordered_on, body.promised_on)
    kind = "laboratory_result" if body.kind == "laboratory" else "instrumental_result"
    entry: CardEntry = new_entry(g, principal, kind=kind, text=body.text, now=now, data={"title": body.title})
    await write_entry(session, principal, g, entry, now)
    opened = await cabinet_open(session, g.patient.id)
    result = Result(
        id=uuid.uuid4(),
        organization_id=g.patient.organization_id,
        patient_id=g.patient.id,
        entry_id=entry.id,
        kind=body.kind,
        title=body.title,
        ordered_on=body.ordered_on,
        promised_on=body.promised_on,
        published_at=now,
        notified_at=now if opened else None,
        notified_via="cabinet" if opened else "other_channel",
    )
    session.add(result)
    await session.flush()
    await notify(
        session,
        g.patient,
        kind="results_published",
        title=f"Your result is ready: {body.title}",
        body=body.text,
        medical=True,
        cause=f"result:{result.id}",
        now=now,
        data={"result_id": str(result.id)},
    )
    await outbox.add(
        session,
        type=type_of(ResultsPublished),
        aggregate_id=result.id,
        org_id=result.organization_id,
        now=now,
        data=ResultsPublished(result_id=result.id, patient_id=result.patient_id, published_at=now),
    )
    return result


async def announce_delay(
    session: AsyncSession, principal: Principal, patient_id: uuid.UUID, body: ResultDelayCreate, now: datetime
) -> None:
    """REC-18 (O 5.2.4): a result later than promised is announced within one working day of the
    delay becoming known; it is announced at once."""
    g = await granted_access(session, access.PUBLISH_RESULT, principal, patient_id, now)
    if body.expected_on <= body.promised_on:
        raise DelayNotLater()
    await notify(
        session,
        g.patient,
        kind="result_delayed",
        title="A result will be later than promised",
        body=f"{body.title}: expected on {body.expected_on:%d.%m.%Y} instead of {body.promised_on:%d.%m.%Y}.",
        medical=False,
        cause=f"result_delay:{g.patient.id}:{body.title}:{body.expected_on.isoformat()}",
        now=now,
    )
