"""Consents, refusals and the organization's consent list (REC-2, REC-6, REC-7, REC-9, REC-10)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.errors import AppError
from clinic_common.events.catalog import type_of
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.records import ConsentRecorded

from records import access
from records.consent.models import ConsentRequiredIntervention, Refusal
from records.consent.repository import ConsentRepository
from records.consent.schemas import ConsentCreate, InterventionListItem, RefusalCreate
from records.link.domain import SignerRole, consent_signer
from records.link.repository import LinkRepository
from records.patient.context import PatientContext, context_of, load_patient, organization
from records.patient.models import Consent


class ConsentTargetRequired(AppError):
    status = 422
    code = "consent_target_required"
    title = "A disclosure consent names the person, an intervention consent the intervention"
    rule = "REC-7"


class WorkerSignatureRequired(AppError):
    status = 422
    code = "refusal_signatures_required"
    title = "A refusal is signed by the patient (or representative) and by the medical worker"
    rule = "REC-10"


def _channel(principal: Principal) -> str:
    return "registry" if "registrar" in principal.roles else "medical_worker"


async def _signer(session: AsyncSession, ctx: PatientContext, signer_id: uuid.UUID) -> SignerRole:
    links = await LinkRepository(session).active_views(ctx.patient.id)
    return consent_signer(signer_id, patient_id=ctx.patient.id, minor=ctx.minor, links=links)


async def record_consent(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    patient_id: uuid.UUID,
    body: ConsentCreate,
    now: datetime,
) -> Consent:
    """REC-2 (personal data, photo/video), REC-7 (disclosure to a person), REC-9 (an intervention),
    signed by whom REC-6/REC-7 allow; announced as `consent.recorded`."""
    patient = await load_patient(session, patient_id)
    access.check_can_act_in(access.RECORD_CONSENT, principal, patient.organization_id)
    if (body.kind == "disclosure") != (body.to_person_id is not None) or (
        (body.kind == "intervention") != (body.intervention_code is not None)
    ):
        raise ConsentTargetRequired()
    ctx = await context_of(session, patient, now)
    role = await _signer(session, ctx, body.signed_by)
    consent = Consent(
        id=uuid.uuid4(),
        patient_id=patient.id,
        kind=body.kind,
        channel=_channel(principal),
        given_at=now,
        recorded_by=principal.subject,
        given=body.given,
        signed_by=body.signed_by,
        signer_role=role.value,
        to_person_id=body.to_person_id,
        intervention_code=body.intervention_code,
    )
    session.add(consent)
    await session.flush()
    if body.kind == "intervention":
        await access.audit_medical(
            session,
            principal,
            patient,
            access.MedicalAccess(access.Purpose.CARE),
            action="create",
            resource="consent",
            now=now,
        )
    await outbox.add(
        session,
        type=type_of(ConsentRecorded),
        aggregate_id=patient.id,
        org_id=patient.organization_id,
        now=now,
        data=ConsentRecorded(
            consent_id=consent.id,
            patient_id=patient.id,
            kind=body.kind,
            given=body.given,
            signed_by=body.signed_by,
        ),
    )
    return consent


async def list_consents(
    session: AsyncSession, principal: Principal, patient_id: uuid.UUID, now: datetime
) -> Sequence[Consent]:
    """Every consent and withdrawal; consents to interventions are medical data (REC-13): they are
    shown, and audited, only to whom may read the card."""
    patient = await load_patient(session, patient_id)
    await access.check_patient(session, access.READ_PATIENT, principal, patient)
    rows = await ConsentRepository(session).for_patient(patient.id)
    if not any(c.kind == "intervention" for c in rows):
        return rows
    ctx = await context_of(session, patient, now)
    try:
        granted = await access.medical_access(
            session, access.READ_CARD, principal, patient, now=now, minor=ctx.minor
        )
    except AppError:
        return [c for c in rows if c.kind != "intervention"]
    await access.audit_medical(
        session, principal, patient, granted, action="read", resource="consent", now=now
    )
    return rows


async def record_refusal(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    patient_id: uuid.UUID,
    body: RefusalCreate,
    now: datetime,
) -> Refusal:
    """REC-10: refusal with the consequences explained and both signatures."""
    patient = await load_patient(session, patient_id)
    ctx = await context_of(session, patient, now)
    granted = await access.medical_access(
        session, access.RECORD_REFUSAL, principal, patient, now=now, minor=ctx.minor
    )
    if not body.worker_signed or principal.staff_id is None:
        raise WorkerSignatureRequired()
    role = await _signer(session, ctx, body.signed_by)
    refusal = Refusal(
        id=uuid.uuid4(),
        patient_id=patient.id,
        intervention_code=body.intervention_code,
        consequences_explained=body.consequences_explained,
        signed_by=body.signed_by,
        signer_role=role.value,
        worker_staff_id=principal.staff_id,
        worker_subject=principal.subject,
        recorded_at=now,
    )
    session.add(refusal)
    await session.flush()
    await access.audit_medical(
        session, principal, patient, granted, action="create", resource="refusal", now=now
    )
    await outbox.add(
        session,
        type=type_of(ConsentRecorded),
        aggregate_id=patient.id,
        org_id=patient.organization_id,
        now=now,
        data=ConsentRecorded(
            consent_id=refusal.id,
            patient_id=patient.id,
            kind="intervention",
            given=False,
            signed_by=body.signed_by,
        ),
    )
    return refusal


async def intervention_list(
    session: AsyncSession, principal: Principal, organization_id: uuid.UUID
) -> Sequence[ConsentRequiredIntervention]:
    access.check_can_act_in(access.READ_INTERVENTION_LIST, principal, organization_id)
    return await ConsentRepository(session).legal_list_rows(organization_id)


async def replace_intervention_list(
    session: AsyncSession,
    principal: Principal,
    organization_id: uuid.UUID,
    items: Sequence[InterventionListItem],
) -> Sequence[ConsentRequiredIntervention]:
    """REC-9 (P 4.5): the organization's legal list is data; a new list replaces the old one."""
    access.check_can_act_in(access.INTERVENTION_LIST, principal, organization_id)
    await organization(session, organization_id)
    await session.execute(
        delete(ConsentRequiredIntervention).where(
            ConsentRequiredIntervention.organization_id == organization_id
        )
    )
    by_code = {i.code: i for i in items}
    rows = [
        ConsentRequiredIntervention(
            organization_id=organization_id, code=i.code, name=i.name, source=i.source
        )
        for i in by_code.values()
    ]
    session.add_all(rows)
    await session.flush()
    return sorted(rows, key=lambda r: r.code)
