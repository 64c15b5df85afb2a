"""Links and withholdings use cases (REC-5). Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.errors import AppError, Conflict

from records import access
from records.audit.service import add_review
from records.link.domain import LinkKind, check_liftable, check_link, check_revocable
from records.link.models import PersonLink, Withholding
from records.link.repository import LinkRepository
from records.link.schemas import LinkCreate, LinkRevoke, WithholdingCreate, WithholdingLift
from records.patient.context import context_of, load_patient


class LinkExists(Conflict):
    code = "link_exists"
    title = "This person already holds such a link to the patient"
    rule = "REC-5"


class LinkNotFound(AppError):
    """404 for an id nobody has and for a link of another patient."""

    status = 404
    code = "link_not_found"
    title = "No such link of this patient"


class WithholdingNotFound(AppError):
    """404 for an id nobody has and for a withholding of another patient."""

    status = 404
    code = "withholding_not_found"
    title = "No such withholding of this patient"


class PersonUnknown(AppError):
    status = 422
    code = "person_unknown"
    title = "Register the representative or trusted person first (REC-5: they are persons in records)"
    rule = "REC-5"


async def add_link(
    session: AsyncSession,
    principal: Principal,
    patient_id: uuid.UUID,
    kind: LinkKind,
    body: LinkCreate,
    now: datetime,
) -> PersonLink:
    """REC-5: who, which relation, the confirming document and what the link allows."""
    patient = await load_patient(session, patient_id)
    await access.check_patient(session, access.MANAGE_LINKS, principal, patient)
    person = await session.get(type(patient), body.person_id)
    if person is None or person.organization_id != patient.organization_id:
        raise PersonUnknown(person_id=str(body.person_id))
    check_link(kind, body.relation, patient_id=patient.id, person_id=person.id)
    link = PersonLink(
        id=uuid.uuid4(),
        organization_id=patient.organization_id,
        patient_id=patient.id,
        person_id=person.id,
        kind=kind.value,
        relation=body.relation,
        document_kind=body.document.kind,
        document_number=body.document.number,
        allows_health_information=body.allows.health_information,
        allows_documents=body.allows.documents,
        allows_sign_consent=body.allows.sign_consent,
        created_at=now,
        created_by=principal.subject,
    )
    try:
        async with session.begin_nested():
            session.add(link)
            await session.flush()
    except IntegrityError as exc:
        raise LinkExists() from exc
    return link


async def revoke_link(
    session: AsyncSession,
    principal: Principal,
    patient_id: uuid.UUID,
    link_id: uuid.UUID,
    body: LinkRevoke,
    now: datetime,
) -> PersonLink:
    """REC-5: a link ends at the registry, like it began; from then on the person no longer reads,
    signs or takes documents for the patient. The row stays, with when, by whom and why."""
    patient = await load_patient(session, patient_id)
    await access.check_patient(session, access.MANAGE_LINKS, principal, patient)
    link = await LinkRepository(session).get(link_id, for_update=True)
    if link is None or link.patient_id != patient.id:
        raise LinkNotFound()
    check_revocable(link.revoked_at)
    link.revoked_at, link.revoked_by = now, principal.subject
    link.revocation_reason, link.revocation_note = body.reason, body.note
    await session.flush()
    return link


async def list_links(
    session: AsyncSession, principal: Principal, patient_id: uuid.UUID, *, include_revoked: bool = False
) -> Sequence[PersonLink]:
    patient = await load_patient(session, patient_id)
    await access.check_patient(session, access.READ_LINKS, principal, patient)
    links = await LinkRepository(session).of_patient(patient.id, include_revoked=include_revoked)
    if access.acts_as_patient(access.READ_LINKS, principal) and not access.is_self(principal, patient):
        return [
            link for link in links if link.person_id == principal.patient_id
        ]  # a linked person: their own
    return links


async def withhold(
    session: AsyncSession, principal: Principal, patient_id: uuid.UUID, body: WithholdingCreate, now: datetime
) -> Withholding:
    """REC-5 (O 6.2.15): the attending doctor withholds health information from the patient and
    gives it to the spouse, close relatives or legal representatives; recorded and listed for review."""
    patient = await load_patient(session, patient_id)
    ctx = await context_of(session, patient, now)
    await access.medical_access(session, access.WITHHOLD, principal, patient, now=now, minor=ctx.minor)
    linked = {link.person_id for link in await LinkRepository(session).active(patient.id)}
    unknown = [str(p) for p in body.disclosed_to if p not in linked]
    if unknown:
        raise PersonUnknown("disclose only to persons linked to the patient", person_ids=unknown)
    row = Withholding(
        id=uuid.uuid4(),
        patient_id=patient.id,
        decided_by=principal.subject,
        reason=body.reason,
        disclosed_to=list(dict.fromkeys(body.disclosed_to)),
        decided_at=now,
    )
    session.add(row)
    await add_review(
        session, principal, patient, kind="withholding", ref_id=row.id, reason=body.reason, now=now
    )
    return row


async def lift_withholding(
    session: AsyncSession,
    principal: Principal,
    patient_id: uuid.UUID,
    withholding_id: uuid.UUID,
    body: WithholdingLift,
    now: datetime,
) -> Withholding:
    """REC-5 (O 6.2.15): the attending doctor who may withhold also decides the patient is told
    again; the decision stays recorded with its lifting."""
    patient = await load_patient(session, patient_id)
    ctx = await context_of(session, patient, now)
    await access.medical_access(session, access.WITHHOLD, principal, patient, now=now, minor=ctx.minor)
    row = await LinkRepository(session).withholding(withholding_id, for_update=True)
    if row is None or row.patient_id != patient.id:
        raise WithholdingNotFound()
    check_liftable(row.lifted_at)
    row.lifted_at, row.lifted_by, row.lift_reason = now, principal.subject, body.reason
    await session.flush()
    return row
