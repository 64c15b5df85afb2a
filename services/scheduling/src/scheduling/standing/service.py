"""The standing checks of a booking, on the local projections (SCH-9, SCH-10, SCH-13)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from scheduling.catalog.models import ServiceProjection
from scheduling.patient.models import PatientProjection
from scheduling.standing.domain import (
    EnrollmentNotActive,
    ReferralRequired,
    ReferralUsed,
    check_preventive,
    check_referral,
    check_standing,
    needs_referral,
    pick_enrollment,
    preventive_date,
)
from scheduling.standing.repository import StandingRepository


async def check_booking(
    session: AsyncSession,
    *,
    patient: PatientProjection,
    payer_kind: str,
    payer_ref: str | None,
    service: ServiceProjection,
    referral_id: UUID | None,
    day: date,
    today: date,
    emergency: bool,
) -> UUID | None:
    """Refuse what the patient's standing does not allow; returns the program enrolment used."""
    repo = StandingRepository(session)
    check_standing(
        payer_kind=payer_kind,
        emergency=emergency,
        open_debt=await repo.open_debt(patient.id),
        refused_from=await repo.refused_from(patient.id),
        day=day,
    )
    enrollment_id: UUID | None = None
    if payer_kind == "program":
        enrollment = pick_enrollment(await repo.enrollments(patient.id), _uuid_or_none(payer_ref), day)
        enrollment_id = enrollment.id
        if (
            referral_id is None
            and not emergency
            and needs_referral(service.category, service.requires_referral)
        ):
            raise ReferralRequired(service_code=service.code)
        planned = preventive_date(enrollment.preventive_plan, service.code) if service.preventive else None
        if planned is not None:
            check_preventive(*planned, day=day, today=today, birth_date=patient.birth_date)
    if referral_id is not None:
        check_referral(
            await repo.referral(referral_id), patient_id=patient.id, service_code=service.code, day=day
        )
    return enrollment_id


async def use_referral(session: AsyncSession, referral_id: UUID, appointment_id: UUID) -> None:
    """REC-11: the booking consumes the referral; a concurrent booking on it loses (409)."""
    if not await StandingRepository(session).use_referral(referral_id, appointment_id):
        raise ReferralUsed()


def _uuid_or_none(value: str | None) -> UUID | None:
    if value is None:
        return None
    try:
        return UUID(value)
    except ValueError:
        raise EnrollmentNotActive("the program payer's `ref` is not an enrolment id") from None
