"""Queries of the attending practitioner."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduling.attending.models import AttendingChange, AttendingPractitioner


class AttendingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def current(self, organization_id: UUID, patient_id: UUID) -> AttendingPractitioner | None:
        return await self.session.get(AttendingPractitioner, (organization_id, patient_id))

    async def history(self, organization_id: UUID, patient_id: UUID) -> Sequence[AttendingChange]:
        """Most recent first."""
        stmt = (
            select(AttendingChange)
            .where(
                AttendingChange.organization_id == organization_id, AttendingChange.patient_id == patient_id
            )
            .order_by(AttendingChange.version.desc())
        )
        return (await self.session.execute(stmt)).scalars().all()
