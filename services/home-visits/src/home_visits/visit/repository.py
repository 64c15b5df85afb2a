"""Queries of the visit module, and of the projections its use cases read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from sqlalchemy import select

from clinic_common.db import RepositoryBase

from home_visits.enrollment.models import EnrollmentProjection
from home_visits.organization.models import BranchProjection, OrganizationProjection
from home_visits.patient.models import PatientProjection
from home_visits.practitioner.models import PractitionerProjection
from home_visits.visit.models import HomeVisit


class VisitRepository(RepositoryBase[HomeVisit]):
    model = HomeVisit

    async def patient(self, patient_id: UUID) -> PatientProjection | None:
        return await self.session.get(PatientProjection, patient_id)

    async def organization(self, organization_id: UUID) -> OrganizationProjection | None:
        return await self.session.get(OrganizationProjection, organization_id)

    async def branch(self, branch_id: UUID) -> BranchProjection | None:
        return await self.session.get(BranchProjection, branch_id)

    async def enrollment(self, enrollment_id: UUID) -> EnrollmentProjection | None:
        return await self.session.get(EnrollmentProjection, enrollment_id)

    async def practitioner(self, practitioner_id: UUID) -> PractitionerProjection | None:
        return await self.session.get(PractitionerProjection, practitioner_id)

    async def of_day(
        self, branch_id: UUID, day: date, *, statuses: Sequence[str] | None = None, for_update: bool = False
    ) -> Sequence[HomeVisit]:
        stmt = select(HomeVisit).where(HomeVisit.branch_id == branch_id, HomeVisit.scheduled_for == day)
        if statuses is not None:
            stmt = stmt.where(HomeVisit.status.in_(statuses))
        stmt = stmt.order_by(
            HomeVisit.practitioner_id, HomeVisit.route_position, HomeVisit.requested_at, HomeVisit.id
        )
        return await self.all(stmt.with_for_update() if for_update else stmt)

    async def page_of_day(
        self, branch_id: UUID, day: date, *, limit: int, after: UUID | None
    ) -> Sequence[HomeVisit]:
        stmt = select(HomeVisit).where(HomeVisit.branch_id == branch_id, HomeVisit.scheduled_for == day)
        return await self.page(stmt, limit=limit, key_column=HomeVisit.id, after=after)

    async def last_position(self, practitioner_id: UUID, day: date) -> int:
        stmt = select(HomeVisit.route_position).where(
            HomeVisit.practitioner_id == practitioner_id,
            HomeVisit.scheduled_for == day,
            HomeVisit.route_position.is_not(None),
        )
        positions = (await self.session.execute(stmt)).scalars().all()
        return max((p for p in positions if p is not None), default=0)

    async def latest_doctor_of(self, patient_id: UUID) -> UUID | None:
        """HV-10: the home-care doctor of the patient's latest visit that had one."""
        stmt = (
            select(HomeVisit.practitioner_id)
            .where(HomeVisit.patient_id == patient_id, HomeVisit.practitioner_id.is_not(None))
            .order_by(HomeVisit.scheduled_for.desc(), HomeVisit.requested_at.desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()
