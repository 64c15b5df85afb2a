"""Medical card use cases: entries, amendments, interventions, referrals, health group, flags.
Every read and change is audited (REC-13). Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Grant, Principal
from clinic_common.errors import AppError
from clinic_common.events.catalog import type_of
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.records import HealthGroupChanged, ReferralIssued

from records import access
from records.audit.service import add_review
from records.card.domain import (
    EntryNotFound,
    check_amendment,
    check_icd10,
    check_intervention_start,
    health_group_change,
    needs_consent,
)
from records.card.models import CardEntry, Referral
from records.card.repository import CardRepository
from records.card.schemas import AmendmentCreate, EntryCreate, FlagCreate, HealthGroupCreate, ReferralCreate
from records.consent.repository import ConsentRepository
from records.link.domain import check_accompanied
from records.link.repository import LinkRepository
from records.paging import InvalidCursor
from records.patient.context import PatientContext, context_of, load_patient
from records.patient.models import Patient


class StaffIdRequired(AppError):
    status = 403
    code = "staff_id_required"
    title = "This action is signed by a practitioner: the token needs a staff_id"
    rule = "REC-11"


@dataclass(frozen=True)
class Granted:
    """A patient loaded with their context and the caller's reason to touch their medical data."""

    ctx: PatientContext
    access: access.MedicalAccess

    @property
    def patient(self) -> Patient:
        return self.ctx.patient


async def granted_access(
    session: AsyncSession, grant: Grant, principal: Principal, patient_id: uuid.UUID, now: datetime
) -> Granted:
    patient = await load_patient(session, patient_id)
    ctx = await context_of(session, patient, now)
    return Granted(
        ctx, await access.medical_access(session, grant, principal, patient, now=now, minor=ctx.minor)
    )


def new_entry(
    g: Granted,
    principal: Principal,
    *,
    kind: str,
    text: str,
    now: datetime,
    icd10: str | None = None,
    data: dict[str, Any] | None = None,
    amends_id: uuid.UUID | None = None,
) -> CardEntry:
    return CardEntry(
        id=uuid.uuid4(),
        organization_id=g.patient.organization_id,
        patient_id=g.patient.id,
        kind=kind,
        amends_id=amends_id,
        icd10=icd10,
        text=text,
        data=data or {},
        author_subject=principal.subject,
        author_role=_clinical_role(principal),
        author_staff_id=principal.staff_id,
        recorded_at=now,
    )


def _clinical_role(principal: Principal) -> str:
    for role in ("doctor", "home_doctor", "nurse"):
        if role in principal.roles:
            return role
    return sorted(principal.roles)[0]


async def write_entry(
    session: AsyncSession, principal: Principal, g: Granted, entry: CardEntry, now: datetime
) -> None:
    session.add(entry)
    await session.flush()
    await access.audit_medical(
        session,
        principal,
        g.patient,
        g.access,
        action="amend" if entry.amends_id else "create",
        resource="entry",
        now=now,
        entry_ids=[entry.id],
    )


# --- reading (REC-8, REC-13) --------------------------------------------------------------------


async def read_entries(
    session: AsyncSession,
    principal: Principal,
    patient_id: uuid.UUID,
    now: datetime,
    *,
    limit: int,
    cursor: uuid.UUID | None,
) -> tuple[Sequence[CardEntry], set[uuid.UUID], uuid.UUID | None]:
    """The whole card, amendments and originals alike, each read written to the audit trail."""
    g = await granted_access(session, access.READ_CARD, principal, patient_id, now)
    repo = CardRepository(session)
    after = await repo.get(cursor) if cursor is not None else None
    if cursor is not None and (after is None or after.patient_id != g.patient.id):
        raise InvalidCursor()
    rows = list(await repo.entries(g.patient.id, limit=limit, after=after))
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    rows = rows[:limit]
    await access.audit_medical(
        session,
        principal,
        g.patient,
        g.access,
        action="read",
        resource="card",
        now=now,
        entry_ids=[e.id for e in rows] or None,
    )
    return rows, await repo.amended_ids([e.id for e in rows]), next_cursor


async def read_entry(
    session: AsyncSession, principal: Principal, patient_id: uuid.UUID, entry_id: uuid.UUID, now: datetime
) -> tuple[Sequence[CardEntry], set[uuid.UUID]]:
    """One entry with its full history of amendments (REC-8)."""
    g = await granted_access(session, access.READ_CARD, principal, patient_id, now)
    repo = CardRepository(session)
    entry = await repo.get(entry_id)
    if entry is None or entry.patient_id != g.patient.id:
        raise EntryNotFound()
    history = await repo.history(entry)
    await access.audit_medical(
        session,
        principal,
        g.patient,
        g.access,
        action="read",
        resource="entry",
        now=now,
        entry_ids=[e.id for e in history],
    )
    return history, await repo.amended_ids([e.id for e in history])


# --- writing (REC-8, REC-6, REC-9) --------------------------------------------------------------


async def add_entry(
    session: AsyncSession, principal: Principal, patient_id: uuid.UUID, body: EntryCreate, now: datetime
) -> CardEntry:
    g = await granted_access(session, access.WRITE_CARD, principal, patient_id, now)
    check_icd10(body.kind, body.icd10)
    data: dict[str, Any] = {}
    if body.kind == "conclusion":  # REC-16 (O 5.1.11): it lists the examinations and treatment done
        data = {"examinations_and_treatment": await CardRepository(session).done_so_far(g.patient.id)}
    if body.kind == "encounter":
        links = await LinkRepository(session).active_views(g.patient.id)
        check_accompanied(g.ctx.minor, body.companion_id, links, emergency=body.emergency)  # REC-6
        data = {
            "companion_id": str(body.companion_id) if body.companion_id else None,
            "emergency": body.emergency,
        }
    review_reason: str | None = None
    if body.kind == "intervention":
        if body.intervention is None:
            raise InterventionMissing()
        i = body.intervention
        consents = ConsentRepository(session)
        required = needs_consent(i.category, i.code, await consents.legal_list(g.patient.organization_id))
        without = check_intervention_start(
            required=required,
            state=await consents.intervention_state(g.patient.id, i.code),
            legal_ground=i.legal_ground,
        )
        data = {
            "category": i.category,
            "code": i.code,
            "consent_required": required,
            "legal_ground": i.legal_ground,
        }
        if without:
            review_reason = f"{i.code} started without consent: {i.legal_ground}"
    entry = new_entry(g, principal, kind=body.kind, text=body.text, now=now, icd10=body.icd10, data=data)
    await write_entry(session, principal, g, entry, now)
    if review_reason is not None:  # REC-9: care without consent is logged for review
        await add_review(
            session,
            principal,
            g.patient,
            kind="intervention_without_consent",
            ref_id=entry.id,
            reason=review_reason,
            now=now,
        )
    return entry


class InterventionMissing(AppError):
    status = 422
    code = "intervention_required"
    title = "An intervention entry says which intervention is started"
    rule = "REC-9"


async def amend_entry(
    session: AsyncSession,
    principal: Principal,
    patient_id: uuid.UUID,
    entry_id: uuid.UUID,
    body: AmendmentCreate,
    now: datetime,
) -> CardEntry:
    """REC-8: a new entry pointing to the one it corrects; nothing is overwritten."""
    g = await granted_access(session, access.WRITE_CARD, principal, patient_id, now)
    original = await CardRepository(session).get(entry_id)
    if original is None or original.patient_id != g.patient.id:
        raise EntryNotFound()
    check_amendment(original.kind, original.kind)
    check_icd10(original.kind, body.icd10 if body.icd10 is not None else original.icd10)
    entry = new_entry(
        g,
        principal,
        kind=original.kind,
        text=body.text,
        now=now,
        icd10=body.icd10 if body.icd10 is not None else original.icd10,
        data={**original.data, "amendment_reason": body.reason},
        amends_id=original.id,
    )
    await write_entry(session, principal, g, entry, now)
    return entry


# --- referrals (REC-11, REC-15) -----------------------------------------------------------------


async def _referral(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    g: Granted,
    now: datetime,
    *,
    service_code: str,
    valid_until: date | None,
    reason: str | None,
    facility: str | None,
    entry: CardEntry,
) -> Referral:
    if principal.staff_id is None:
        raise StaffIdRequired()
    await write_entry(session, principal, g, entry, now)
    referral = Referral(
        id=uuid.uuid4(),
        organization_id=g.patient.organization_id,
        patient_id=g.patient.id,
        entry_id=entry.id,
        service_code=service_code,
        facility=facility,
        reason=reason,
        issued_by=principal.staff_id,
        issued_on=g.ctx.today,
        valid_until=valid_until,
        status="issued",
    )
    session.add(referral)
    await session.flush()
    if facility is None:  # an outside facility's referral is not booked here
        await outbox.add(
            session,
            type=type_of(ReferralIssued),
            aggregate_id=referral.id,
            org_id=referral.organization_id,
            now=now,
            data=ReferralIssued(
                referral_id=referral.id,
                patient_id=referral.patient_id,
                organization_id=referral.organization_id,
                service_code=referral.service_code,
                issued_by=referral.issued_by,
                issued_on=referral.issued_on,
                valid_until=referral.valid_until,
            ),
        )
    return referral


async def issue_referral(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    patient_id: uuid.UUID,
    body: ReferralCreate,
    now: datetime,
) -> Referral:
    """REC-11: the attending doctor issues it into the card; announced as `referral.issued`, which
    scheduling and billing consult (SCH-9, BIL-12, BIL-13)."""
    g = await granted_access(session, access.ISSUE_REFERRAL, principal, patient_id, now)
    if body.valid_until is not None and body.valid_until < g.ctx.today:
        raise ReferralExpired()
    entry = new_entry(
        g,
        principal,
        kind="referral",
        text=body.reason or f"Referral for {body.service_code}",
        now=now,
        data={"service_code": body.service_code},
    )
    return await _referral(
        session,
        outbox,
        principal,
        g,
        now,
        service_code=body.service_code,
        valid_until=body.valid_until,
        reason=body.reason,
        facility=None,
        entry=entry,
    )


class ReferralExpired(AppError):
    status = 422
    code = "referral_valid_until_past"
    title = "A referral cannot expire before it is issued"
    rule = "REC-11"


async def raise_flag(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    patient_id: uuid.UUID,
    body: FlagCreate,
    now: datetime,
) -> tuple[CardEntry, Referral | None]:
    """REC-15: a police-report flag is listed for review (O 3.12); a suspected infectious disease
    produces a referral to a specialised facility (O 3.9)."""
    g = await granted_access(session, access.WRITE_CARD, principal, patient_id, now)
    check_icd10(body.kind, body.icd10)
    kind = "police_report_flag" if body.kind == "police_report" else "infectious_disease_flag"
    entry = new_entry(g, principal, kind=kind, text=body.text, now=now, icd10=body.icd10)
    if body.kind == "police_report":
        await write_entry(session, principal, g, entry, now)
        await add_review(
            session, principal, g.patient, kind="police_report", ref_id=entry.id, reason=body.text, now=now
        )
        return entry, None
    facility = body.facility or "specialised infectious-disease facility"
    referral = await _referral(
        session,
        outbox,
        principal,
        g,
        now,
        service_code="infectious_disease_referral",
        valid_until=None,
        reason=body.text,
        facility=facility,
        entry=entry,
    )
    return entry, referral


# --- health group (REC-12) ----------------------------------------------------------------------


async def record_health_group(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    patient_id: uuid.UUID,
    body: HealthGroupCreate,
    now: datetime,
) -> CardEntry:
    """REC-12: recorded in the card; `health_group.changed` tells billing (BIL-17 for 2B and 3)."""
    g = await granted_access(session, access.HEALTH_GROUP, principal, patient_id, now)
    patient = await load_patient(session, g.patient.id, for_update=True)
    surcharge = health_group_change(patient.health_group, body.health_group)
    established = body.established_on or g.ctx.today
    entry = new_entry(
        g,
        principal,
        kind="health_group",
        text=body.text,
        now=now,
        data={
            "health_group": body.health_group,
            "previous": patient.health_group,
            "established_on": established.isoformat(),
            "billing_surcharge_group": surcharge,
        },
    )
    await write_entry(session, principal, g, entry, now)
    patient.health_group = body.health_group
    await outbox.add(
        session,
        type=type_of(HealthGroupChanged),
        aggregate_id=patient.id,
        org_id=patient.organization_id,
        now=now,
        data=HealthGroupChanged(
            patient_id=patient.id,
            organization_id=patient.organization_id,
            health_group=body.health_group,
            established_on=established,
        ),
    )
    return entry
