"""Loading a patient with what the rules need about them: the policy, today, their age (REC-7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.calendar import local_date
from clinic_common.errors import UnknownEntity

from records.access import PatientNotFound
from records.link.domain import Minority, minority
from records.organization.models import OrganizationProjection
from records.patient.domain import age_on
from records.patient.models import Patient
from records.policy import RecordsPolicy, policy_of


@dataclass(frozen=True)
class PatientContext:
    patient: Patient
    policy: RecordsPolicy
    today: date  # the organization's local date
    minor: Minority


async def organization(session: AsyncSession, organization_id: UUID) -> OrganizationProjection:
    org = await session.get(OrganizationProjection, organization_id)
    if org is None:
        raise UnknownEntity("organization", organization_id)
    return org


async def load_patient(session: AsyncSession, patient_id: UUID, *, for_update: bool = False) -> Patient:
    patient = await session.get(Patient, patient_id, with_for_update=for_update)
    if patient is None:
        raise PatientNotFound()
    return patient


async def context_of(session: AsyncSession, patient: Patient, now: datetime) -> PatientContext:
    org = await organization(session, patient.organization_id)
    today = local_date(now, org.time_zone)
    policy = policy_of(org, today)  # ORG-3: e.g. REC-7's consent ages on the day of signing
    return PatientContext(
        patient=patient,
        policy=policy,
        today=today,
        minor=minority(
            age_on(patient.birth_date, today),
            drug_addiction_treatment=patient.drug_addiction_treatment,
            age_default=policy.personal_consent_age,
            age_drug=policy.personal_consent_age_drug_treatment,
        ),
    )
