"""Queries of deterioration reports' routing (HV-10) over the projections it reads."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select

from clinic_common.db import RepositoryBase

from home_visits.attending.models import AttendingProjection
from home_visits.deterioration.domain import KnownDoctor
from home_visits.practitioner.models import PractitionerProjection


class RoutingRepository(RepositoryBase[AttendingProjection]):
    model = AttendingProjection

    async def attending_doctor(self, patient_id: UUID, organization_id: UUID) -> KnownDoctor | None:
        """The patient's attending practitioner in the organization, when home-visits has learnt
        that practitioner (`practitioner.upserted`); None otherwise (SCH-15, HV-10)."""
        doctor = PractitionerProjection
        stmt = (
            select(doctor.id, doctor.organization_id, doctor.active)
            .join(AttendingProjection, AttendingProjection.practitioner_id == doctor.id)
            .where(
                AttendingProjection.patient_id == patient_id,
                AttendingProjection.organization_id == organization_id,
            )
        )
        row = (await self.session.execute(stmt)).one_or_none()
        return KnownDoctor(row.id, row.organization_id, row.active) if row else None
