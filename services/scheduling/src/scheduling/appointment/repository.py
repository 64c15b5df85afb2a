"""Queries of the appointment module."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select

from clinic_common.db import RepositoryBase

from scheduling.appointment.models import Appointment
from scheduling.organization.models import Branch, Organization
from scheduling.practitioner.models import Shift


class AppointmentRepository(RepositoryBase[Appointment]):
    model = Appointment

    async def shifts_of(self, practitioner_id: UUID) -> Sequence[Shift]:
        return (
            (await self.session.execute(select(Shift).where(Shift.practitioner_id == practitioner_id)))
            .scalars()
            .all()
        )

    async def branches(self, branch_ids: Sequence[UUID]) -> Sequence[Branch]:
        return (await self.session.execute(select(Branch).where(Branch.id.in_(branch_ids)))).scalars().all()

    async def organization(self, organization_id: UUID) -> Organization | None:
        return await self.session.get(Organization, organization_id)
