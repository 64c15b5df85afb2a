"""HTTP layer of the medical card (REC-8 to REC-12, REC-14, REC-15)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request

from clinic_common.auth import OrganizationForbidden, Principal
from clinic_common.db import SessionDep
from clinic_common.openapi import problems, unknown_entity

from records import access
from records.audit import service as audit_service
from records.card import service
from records.card.domain import (
    AmendmentKindMismatch,
    EntryNotFound,
    HealthGroupUnchanged,
    InformedConsentRequired,
    InterventionRefused,
    InvalidIcd10,
)
from records.card.icd10 import icd10_title
from records.card.models import CardEntry, Referral
from records.card.schemas import (
    AmendmentCreate,
    BreakGlassCreate,
    BreakGlassRead,
    EntryCreate,
    EntryPage,
    EntryRead,
    FlagCreate,
    FlagRead,
    HealthGroupCreate,
    ReferralCreate,
    ReferralRead,
)
from records.link.domain import RepresentativeRequired
from records.paging import InvalidCursor

router = APIRouter(prefix="/v1/patients/{patient_id}", tags=["medical card"])

ReaderDep = Annotated[Principal, access.READ_CARD.dependency()]
WriterDep = Annotated[Principal, access.WRITE_CARD.dependency()]
DoctorDep = Annotated[Principal, access.ISSUE_REFERRAL.dependency()]
GroupDep = Annotated[Principal, access.HEALTH_GROUP.dependency()]
GlassDep = Annotated[Principal, access.BREAK_GLASS.dependency()]

MEDICAL = (*access.MEDICAL_ERRORS, unknown_entity("organization"))


def to_entry(e: CardEntry, amended: set[UUID]) -> EntryRead:
    return EntryRead(
        id=e.id,
        patient_id=e.patient_id,
        kind=e.kind,
        amends_id=e.amends_id,
        icd10=e.icd10,
        icd10_title=icd10_title(e.icd10) if e.icd10 else None,
        text=e.text,
        data=dict(e.data),
        author_role=e.author_role,
        author_staff_id=e.author_staff_id,
        recorded_at=e.recorded_at,
        current=e.id not in amended,
    )


def to_referral(r: Referral) -> ReferralRead:
    return ReferralRead(
        id=r.id,
        patient_id=r.patient_id,
        entry_id=r.entry_id,
        service_code=r.service_code,
        facility=r.facility,
        issued_by=r.issued_by,
        issued_on=r.issued_on,
        valid_until=r.valid_until,
        status=r.status,
        used_by_appointment_id=r.used_by_appointment_id,
    )


@router.get("/entries", response_model=EntryPage, responses=problems(*MEDICAL, InvalidCursor))
async def read_card(
    request: Request,
    patient_id: UUID,
    session: SessionDep,
    principal: ReaderDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: UUID | None = None,
) -> EntryPage:
    """REC-8, REC-13: the card with its whole history; every entry read is audited."""
    rows, amended, next_cursor = await service.read_entries(
        session, principal, patient_id, request.app.state.clock.now(), limit=limit, cursor=cursor
    )
    return EntryPage(
        items=[to_entry(e, amended) for e in rows], next_cursor=str(next_cursor) if next_cursor else None
    )


@router.get(
    "/entries/{entry_id}", response_model=list[EntryRead], responses=problems(*MEDICAL, EntryNotFound)
)
async def read_entry(
    request: Request, patient_id: UUID, entry_id: UUID, session: SessionDep, principal: ReaderDep
) -> list[EntryRead]:
    """REC-8: the entry with what it corrects and every amendment, oldest first."""
    history, amended = await service.read_entry(
        session, principal, patient_id, entry_id, request.app.state.clock.now()
    )
    return [to_entry(e, amended) for e in history]


@router.post(
    "/entries",
    status_code=201,
    response_model=EntryRead,
    responses=problems(
        *MEDICAL,
        InvalidIcd10,
        InformedConsentRequired,
        InterventionRefused,
        service.InterventionMissing,
        RepresentativeRequired,
    ),
)
async def add_entry(
    request: Request, patient_id: UUID, body: EntryCreate, session: SessionDep, principal: WriterDep
) -> EntryRead:
    """REC-8 (ICD-10 on diagnoses), REC-6 (a minor's companion), REC-9 (consent before an intervention)."""
    entry = await service.add_entry(session, principal, patient_id, body, request.app.state.clock.now())
    return to_entry(entry, set())


@router.post(
    "/entries/{entry_id}/amendments",
    status_code=201,
    response_model=EntryRead,
    responses=problems(*MEDICAL, EntryNotFound, InvalidIcd10, AmendmentKindMismatch),
)
async def amend_entry(
    request: Request,
    patient_id: UUID,
    entry_id: UUID,
    body: AmendmentCreate,
    session: SessionDep,
    principal: WriterDep,
) -> EntryRead:
    """REC-8: a correction is a new entry pointing to the one it corrects."""
    entry = await service.amend_entry(
        session, principal, patient_id, entry_id, body, request.app.state.clock.now()
    )
    return to_entry(entry, set())


@router.post(
    "/referrals",
    status_code=201,
    response_model=ReferralRead,
    responses=problems(*MEDICAL, service.StaffIdRequired, service.ReferralExpired),
)
async def issue_referral(
    request: Request, patient_id: UUID, body: ReferralCreate, session: SessionDep, principal: DoctorDep
) -> ReferralRead:
    """REC-11: emits `referral.issued`; a booking naming it makes it `used` (`referral.used`)."""
    referral = await service.issue_referral(
        session, request.app.state.outbox, principal, patient_id, body, request.app.state.clock.now()
    )
    return to_referral(referral)


@router.post(
    "/health-group",
    status_code=201,
    response_model=EntryRead,
    responses=problems(*MEDICAL, HealthGroupUnchanged),
)
async def record_health_group(
    request: Request, patient_id: UUID, body: HealthGroupCreate, session: SessionDep, principal: GroupDep
) -> EntryRead:
    """REC-12: emits `health_group.changed` (billing: BIL-17 for 2B and 3)."""
    entry = await service.record_health_group(
        session, request.app.state.outbox, principal, patient_id, body, request.app.state.clock.now()
    )
    return to_entry(entry, set())


@router.post(
    "/flags",
    status_code=201,
    response_model=FlagRead,
    responses=problems(*MEDICAL, InvalidIcd10, service.StaffIdRequired),
)
async def raise_flag(
    request: Request, patient_id: UUID, body: FlagCreate, session: SessionDep, principal: WriterDep
) -> FlagRead:
    """REC-15: a police-report flag (listed for review) or an infectious-disease referral."""
    entry, referral = await service.raise_flag(
        session, request.app.state.outbox, principal, patient_id, body, request.app.state.clock.now()
    )
    return FlagRead(entry=to_entry(entry, set()), referral=to_referral(referral) if referral else None)


@router.post(
    "/break-glass",
    status_code=201,
    response_model=BreakGlassRead,
    responses=problems(access.PatientNotFound, OrganizationForbidden),
)
async def break_glass(
    request: Request, patient_id: UUID, body: BreakGlassCreate, session: SessionDep, principal: GlassDep
) -> BreakGlassRead:
    """REC-14: emergency access with a stated reason; logged and listed for review."""
    glass = await audit_service.open_break_glass(
        session, principal, patient_id, body.reason, request.app.state.clock.now()
    )
    return BreakGlassRead(
        id=glass.id,
        patient_id=glass.patient_id,
        reason=glass.reason,
        opened_at=glass.opened_at,
        expires_at=glass.expires_at,
    )
