"""Queries of programs, enrolments, usage, surcharges, referrals and distance bands."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from sqlalchemy import func, select

from clinic_common.db import RepositoryBase

from billing.organization.domain import Band
from billing.program.domain import Exclusion, Included, ProgramTerms
from billing.program.models import (
    DistanceBandProjection,
    Enrollment,
    Program,
    ProgramExclusion,
    ProgramService,
    ProgramUsage,
    ReferralProjection,
    Surcharge,
)


class ProgramRepository(RepositoryBase[Program]):
    model = Program

    async def services_of(self, program_id: UUID) -> Sequence[ProgramService]:
        stmt = (
            select(ProgramService)
            .where(ProgramService.program_id == program_id)
            .order_by(ProgramService.service_code)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def exclusions_of(self, program_id: UUID) -> Sequence[ProgramExclusion]:
        stmt = (
            select(ProgramExclusion)
            .where(ProgramExclusion.program_id == program_id)
            .order_by(ProgramExclusion.kind, ProgramExclusion.code)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def terms(self, program: Program) -> ProgramTerms:
        return ProgramTerms(
            referral_required=program.referral_required,
            urgent_home_care=program.urgent_home_care,
            home_care_in_base_zone=program.home_care_in_base_zone,
            documents=frozenset(program.documents or ()),
            included=tuple(
                Included(
                    service_code=s.service_code,
                    times=s.times,
                    terms=frozenset(s.terms or ()),
                    without_referral=s.without_referral,
                    preventive_month=s.preventive_month,
                )
                for s in await self.services_of(program.id)
            ),
            exclusions=tuple(
                Exclusion(e.kind, e.code, e.source) for e in await self.exclusions_of(program.id)
            ),
        )

    async def of_organization(self, organization_id: UUID) -> Sequence[Program]:
        stmt = select(Program).where(Program.organization_id == organization_id).order_by(Program.name)
        return await self.all(stmt)

    async def enrollment(self, enrollment_id: UUID, *, for_update: bool = False) -> Enrollment | None:
        stmt = select(Enrollment).where(Enrollment.id == enrollment_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def enrollment_of_invoice(self, invoice_id: UUID, *, for_update: bool = False) -> Enrollment | None:
        stmt = select(Enrollment).where(Enrollment.invoice_id == invoice_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def enrollments_of_patient(self, patient_id: UUID, statuses: Sequence[str]) -> Sequence[Enrollment]:
        stmt = (
            select(Enrollment)
            .where(Enrollment.patient_id == patient_id, Enrollment.status.in_(statuses))
            .with_for_update()
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def ending_by(self, day: date, limit: int) -> Sequence[Enrollment]:
        stmt = (
            select(Enrollment)
            .where(Enrollment.status.in_(("active", "suspended")), Enrollment.ends_on < day)
            .order_by(Enrollment.ends_on)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def used_times(self, enrollment_id: UUID, service_code: str) -> int:
        stmt = select(func.count()).where(
            ProgramUsage.enrollment_id == enrollment_id, ProgramUsage.service_code == service_code
        )
        return int(await self.session.scalar(stmt) or 0)

    async def usage_by_source(self, source: str) -> ProgramUsage | None:
        stmt = select(ProgramUsage).where(ProgramUsage.source == source)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def surcharge(self, surcharge_id: UUID) -> Surcharge | None:
        stmt = select(Surcharge).where(Surcharge.id == surcharge_id).with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def surcharge_by_source(self, source: str) -> Surcharge | None:
        stmt = select(Surcharge).where(Surcharge.source == source)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def referral(self, referral_id: UUID) -> ReferralProjection | None:
        return await self.session.get(ReferralProjection, referral_id)

    async def bands(self, organization_id: UUID) -> list[Band]:
        stmt = (
            select(DistanceBandProjection)
            .where(DistanceBandProjection.organization_id == organization_id)
            .order_by(DistanceBandProjection.up_to_km)
        )
        return [Band(b.up_to_km, b.surcharge_percent) for b in (await self.session.execute(stmt)).scalars()]
