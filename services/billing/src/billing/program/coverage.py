"""The coverage engine over stored programs and enrolments (BIL-12 to BIL-18)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.money import Currency, Money

from billing.catalog.models import Service
from billing.catalog.repository import ServiceRepository
from billing.pricelist.service import price_on
from billing.program.domain import (
    CoverageDecision,
    CoverageRequest,
    EnrollmentNotFound,
    ServiceFacts,
    decide_coverage,
)
from billing.program.repository import ProgramRepository


def facts(service: Service) -> ServiceFacts:
    return ServiceFacts(
        code=service.code,
        category=service.category,
        preventive=service.preventive,
        state_order=service.state_order,
        requires_referral=service.requires_referral,
    )


async def coverage_of_line(
    session: AsyncSession,
    enrollment_id: UUID,
    service: Service,
    day: date,
    *,
    has_referral: bool,
    terms: str = "clinic",
    diagnosis: str | None = None,
    band_km: float | None = None,
    emergency: bool = False,
) -> CoverageDecision:
    repo = ProgramRepository(session)
    enrollment = await repo.enrollment(enrollment_id)
    if enrollment is None:
        raise EnrollmentNotFound()
    program = await repo.get(enrollment.program_id)
    assert program is not None
    return decide_coverage(
        await repo.terms(program),
        starts_on=enrollment.starts_on,
        ends_on=enrollment.ends_on,
        status=enrollment.status,
        service=facts(service),
        request=CoverageRequest(
            day=day,
            terms=terms,
            has_referral=has_referral,
            diagnosis=diagnosis,
            band_km=band_km if band_km is not None else enrollment.band_km,
            emergency=emergency,
        ),
        used_times=await repo.used_times(enrollment.id, service.code),
    )


@dataclass(frozen=True)
class Coverage:
    decision: CoverageDecision
    price: Money | None


async def coverage_for(
    session: AsyncSession,
    organization_id: UUID,
    enrollment_id: UUID,
    service_code: str,
    day: date,
    *,
    referral_id: UUID | None,
    patient_id: UUID,
    terms: str,
    diagnosis: str | None,
) -> Coverage:
    """The decision with its rules, and the price in force that day (what a charged service costs,
    or what a covered one is worth against the program, BIL-1)."""
    service = await ServiceRepository(session).known(organization_id, service_code)
    has_referral = False
    if referral_id is not None:
        referral = await ProgramRepository(session).referral(referral_id)
        has_referral = (
            referral is not None
            and referral.patient_id == patient_id
            and referral.service_code == service_code
            and not referral.used
            and referral.issued_on <= day
            and (referral.valid_until is None or day <= referral.valid_until)
        )
    decision = await coverage_of_line(
        session, enrollment_id, service, day, has_referral=has_referral, terms=terms, diagnosis=diagnosis
    )
    listed = await price_on(session, organization_id, service_code, day)
    return Coverage(decision, Money(listed.price_minor, Currency(listed.currency)))
