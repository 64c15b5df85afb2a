"""Who may see and change what in records: the service's one access policy.

Routes declare `GRANT.dependency()` (the role check, 403 `forbidden_role`); use cases call the
checks below with the loaded object. Several roles in one token follow `clinic_common.auth.policy`
(a staff role's grant, else the patient scope). The patient scope is wider here than elsewhere:
a person holding a representative's or trusted person's link to the patient acts within what the
link allows (REC-5, REC-7). A patient the caller may not see answers 404 `patient_not_found`, as if
it did not exist (api.md).

Medical data (REC-13) is read only by staff taking part in the patient's care (an appointment, a
home visit or an entry of theirs), through an open break-glass access (REC-14), by the patient
(unless the doctor withholds it, O 6.2.15), and by linked persons as their link and the patient's
age allow (REC-5, REC-7). Every allowed read and change is written to the audit trail by
`audit_medical` in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Grant, OrganizationForbidden, Principal, Role
from clinic_common.auth.policy import acts_for, same_org
from clinic_common.auth.principal import WORKING_STAFF
from clinic_common.errors import AppError

from records.audit.repository import AuditRepository
from records.care.repository import CareRepository
from records.consent.repository import ConsentRepository
from records.link.domain import (
    DisclosureConsentRequired,
    HealthInformationWithheld,
    LinkDoesNotAllow,
    LinkKind,
    LinkView,
    Minority,
    link_may_read,
)
from records.link.repository import LinkRepository
from records.patient.models import Patient


class PatientNotFound(AppError):
    """404 both for an id nobody has and for a patient the caller may not see."""

    status = 404
    code = "patient_not_found"
    title = "No such patient"


class NotInCare(AppError):
    status = 403
    code = "not_in_care"
    title = "Medical data is read only by staff taking part in the patient's care (or by break-glass)"
    rule = "REC-13"


_STAFF = WORKING_STAFF
_CLINICAL = (Role.DOCTOR, Role.NURSE, Role.HOME_DOCTOR)

REGISTER_PATIENT = Grant.of(Role.REGISTRAR, Role.CALL_CENTER, Role.ADMIN)
"""REC-1: the registry, and the call centre for a caller booking their first visit."""

READ_PATIENT = Grant.of(*_STAFF, patient=True)
"""Staff who register, book, bill, treat or dispatch the patient, and the director; the patient
their own (the cabinet, REC-19) and linked persons theirs. Medical entries get READ_CARD (REC-13)."""

UPDATE_PATIENT = Grant.of(Role.REGISTRAR, Role.ADMIN, patient=True)
"""REC-19: the patient changes phone and e-mail in the cabinet; the registry the rest on a written
application."""

MANAGE_LINKS = Grant.of(Role.REGISTRAR, Role.ADMIN)
"""REC-5: links are recorded at the registry with the confirming document, and ended there."""

READ_LINKS = Grant.of(Role.REGISTRAR, *_CLINICAL, Role.ADMIN, patient=True)

RECORD_CONSENT = Grant.of(Role.REGISTRAR, *_CLINICAL, Role.ADMIN)
"""REC-2, REC-7, REC-9: consents are signed in front of the registry or the medical worker."""

RECORD_REFUSAL = Grant.of(*_CLINICAL)
"""REC-10: the medical worker co-signs the refusal."""

READ_CARD = Grant.of(*_CLINICAL, patient=True)
"""REC-13: the clinical staff in the patient's care; the patient and the persons they allowed.
Neither the admin nor the director reads medical secrets."""

WRITE_CARD = Grant.of(*_CLINICAL)
"""REC-8: entries are written by the medical workers in the patient's care."""

ISSUE_REFERRAL = Grant.of(Role.DOCTOR, Role.HOME_DOCTOR)
"""REC-11: the attending doctor issues referrals."""

HEALTH_GROUP = Grant.of(Role.DOCTOR, Role.HOME_DOCTOR)
"""REC-12: the doctor records the health group."""

WITHHOLD = Grant.of(Role.DOCTOR)
"""REC-5 (O 6.2.15): the attending doctor decides to withhold, and to lift it."""

BREAK_GLASS = Grant.of(*_CLINICAL)
"""REC-14: a medical worker in an emergency, with a stated reason."""

PRIVACY_REVIEW = Grant.of(Role.PRIVACY_OFFICER)
"""REC-13, REC-14: the audit trail and the review list are the privacy officer's."""

PUBLISH_RESULT = Grant.of(Role.DOCTOR, Role.NURSE)
"""REC-18: laboratory and instrumental results are published by the clinical staff."""

DOCUMENTS = Grant.of(Role.REGISTRAR, Role.ADMIN)
"""REC-16: written applications are filed and documents handed over at the registry."""

CABINET_GRANT = Grant.of(Role.REGISTRAR)
"""REC-19 (P 10.2-10.4): only at a registry, in person; never remotely, not even by an admin."""

CABINET_READ = Grant.of(Role.REGISTRAR, Role.DIRECTOR, Role.ADMIN, patient=True)

CABINET_RESTRICT = Grant.of(Role.DIRECTOR, Role.ADMIN)
"""REC-19 (P 10.7): the organization restricts (and restores) cabinet access."""

FILE_COMPLAINT = Grant.of(Role.REGISTRAR, Role.CALL_CENTER, Role.ADMIN, patient=True)
"""REC-20: complaints in writing through the registry; REC-21: feedback by any means."""

READ_COMPLAINTS = Grant.of(Role.REGISTRAR, Role.DIRECTOR, Role.ADMIN)

DECIDE_COMPLAINT = Grant.of(Role.DIRECTOR, Role.ADMIN)
"""REC-20 (O 11.2): the head of the clinic answers."""

CONDUCT = Grant.of(Role.REGISTRAR, Role.DOCTOR, Role.NURSE, Role.HOME_DOCTOR, Role.DIRECTOR, Role.ADMIN)
"""REC-22: violations are recorded by the staff who see them."""

REFUSE_SERVICE = Grant.of(Role.DIRECTOR, Role.ADMIN)
"""REC-22 (O 8.6): the organization ends the contract."""

PUBLISH_OFFER = Grant.of(Role.DIRECTOR, Role.ADMIN)
"""ORG-3: the organization changes its offer."""

READ_OFFER = Grant.of(*_STAFF, Role.PRIVACY_OFFICER, patient=True)

CONTRACTS = Grant.of(Role.REGISTRAR, Role.ADMIN)
"""REC-4: concluded at the registry before the first visit."""

READ_CONTRACTS = Grant.of(Role.REGISTRAR, Role.CASHIER, Role.DIRECTOR, Role.ADMIN, patient=True)

INTERVENTION_LIST = Grant.of(Role.DIRECTOR, Role.ADMIN)
"""REC-9 (P 4.5): the organization keeps its legal list."""

READ_INTERVENTION_LIST = Grant.of(Role.REGISTRAR, *_CLINICAL, Role.DIRECTOR, Role.ADMIN)

READ_NOTIFICATIONS = Grant.of(Role.REGISTRAR, Role.CALL_CENTER, Role.ADMIN, patient=True)
"""The patient's inbox; the registry and call centre see what went out and how (bodies of medical
messages are theirs only in the cabinet)."""


# --- organizations and patients -----------------------------------------------------------------


def check_can_act_in(grant: Grant, principal: Principal, organization_id: UUID) -> None:
    """403 `organization_forbidden` for an organization the caller does not work for."""
    if not grant.as_staff(principal) or not same_org(principal, organization_id):
        raise OrganizationForbidden()


def check_can_register_in(principal: Principal, organization_id: UUID) -> None:
    check_can_act_in(REGISTER_PATIENT, principal, organization_id)


async def links_of_caller(session: AsyncSession, principal: Principal, patient: Patient) -> list[LinkView]:
    """The active links from the patient to the calling person (none for staff or another org)."""
    if principal.patient_id is None or principal.org_id != patient.organization_id:
        return []
    return await LinkRepository(session).between(patient.id, principal.patient_id)


async def check_patient(session: AsyncSession, grant: Grant, principal: Principal, patient: Patient) -> None:
    """Staff of the patient's organization; the patient; a person linked to the patient. Anyone
    else gets 404 `patient_not_found`. Patients are registered per organization, not per branch,
    so `branch_ids` does not narrow this."""
    if grant.allows(principal, org_id=patient.organization_id, patient_id=patient.id):
        return
    if (
        grant.patient
        and acts_as_patient(grant, principal)
        and await links_of_caller(session, principal, patient)
    ):
        return
    raise PatientNotFound()


def is_self(principal: Principal, patient: Patient) -> bool:
    return acts_for(principal, patient.id, patient.organization_id)


def acts_as_patient(grant: Grant, principal: Principal) -> bool:
    """The caller is in the patient scope of `grant` (no staff role of it)."""
    return not grant.as_staff(principal) and Role.PATIENT in principal.roles


# --- medical data (REC-13, REC-14, REC-5, REC-7) -----------------------------------------------


class Purpose(StrEnum):
    CARE = "care"
    BREAK_GLASS = "break_glass"
    OWN = "own"
    REPRESENTATIVE = "representative"
    TRUSTED_PERSON = "trusted_person"


@dataclass(frozen=True)
class MedicalAccess:
    """Why the caller may touch this patient's medical data; written with every audit row."""

    purpose: Purpose
    break_glass_id: UUID | None = None


async def medical_access(
    session: AsyncSession,
    grant: Grant,
    principal: Principal,
    patient: Patient,
    *,
    now: datetime,
    minor: Minority,
) -> MedicalAccess:
    """REC-13: may the caller read (READ_CARD) or write (WRITE_CARD) this patient's medical data?"""
    if grant.as_staff(principal):
        if not same_org(principal, patient.organization_id):
            raise PatientNotFound()
        in_care = await CareRepository(session).has_relation(
            patient.id, practitioner_id=principal.staff_id, branch_ids=principal.branch_ids
        )
        if in_care:
            return MedicalAccess(Purpose.CARE)
        glass = await AuditRepository(session).open_break_glass(patient.id, principal.subject, now)
        if glass is not None:
            return MedicalAccess(Purpose.BREAK_GLASS, glass.id)
        raise NotInCare()
    if not (grant.patient and Role.PATIENT in principal.roles):
        raise PatientNotFound()
    if is_self(principal, patient):
        if await LinkRepository(session).active_withholding(patient.id) is not None:
            raise HealthInformationWithheld()
        return MedicalAccess(Purpose.OWN)
    links = await links_of_caller(session, principal, patient)
    if not links:
        raise PatientNotFound()
    assert principal.patient_id is not None
    consented = await ConsentRepository(session).disclosure_given(patient.id, principal.patient_id)
    refusal: AppError | None = None
    for link in sorted(links, key=lambda lk: lk.kind is not LinkKind.TRUSTED_PERSON):
        try:
            link_may_read(link, minor=minor, patient_consented_disclosure=consented)
        except AppError as exc:
            refusal = refusal or exc
            continue
        kind = Purpose.TRUSTED_PERSON if link.kind is LinkKind.TRUSTED_PERSON else Purpose.REPRESENTATIVE
        return MedicalAccess(kind)
    raise refusal or LinkDoesNotAllow()


async def audit_medical(
    session: AsyncSession,
    principal: Principal,
    patient: Patient,
    access: MedicalAccess,
    *,
    action: str,
    resource: str,
    now: datetime,
    entry_ids: list[UUID | None] | None = None,
) -> None:
    """REC-13: one insert-only audit row per entry read or changed (one for the card itself when
    no entry is concerned), in the caller's transaction."""
    rows = [
        {
            "at": now,
            "organization_id": patient.organization_id,
            "patient_id": patient.id,
            "entry_id": entry_id,
            "resource": resource,
            "action": action,
            "purpose": access.purpose.value,
            "actor_subject": principal.subject,
            "actor_roles": sorted(principal.roles),
            "actor_staff_id": principal.staff_id,
            "actor_person_id": principal.patient_id,
            "break_glass_id": access.break_glass_id,
        }
        for entry_id in (entry_ids or [None])
    ]
    await AuditRepository(session).insert(rows)


def check_privacy_officer_of(principal: Principal, organization_id: UUID) -> None:
    if not PRIVACY_REVIEW.allows(principal, org_id=organization_id):
        raise PatientNotFound()


MEDICAL_ERRORS = (
    PatientNotFound,
    NotInCare,
    HealthInformationWithheld,
    LinkDoesNotAllow,
    DisclosureConsentRequired,
)
"""What `medical_access` may answer, for the routes' documented problems."""
