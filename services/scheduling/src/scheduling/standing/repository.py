"""Queries of the standing projections."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from scheduling.standing.domain import Enrollment, Referral
from scheduling.standing.models import (
    AppointmentPayment,
    DebtProjection,
    EnrollmentProjection,
    ReferralProjection,
    ServiceRefusalProjection,
)


class StandingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open_debt(self, patient_id: UUID) -> bool:
        stmt = select(DebtProjection.id).where(DebtProjection.patient_id == patient_id, DebtProjection.open)
        return (await self.session.execute(stmt.limit(1))).first() is not None

    async def refused_from(self, patient_id: UUID) -> date | None:
        row = await self.session.get(ServiceRefusalProjection, patient_id)
        return row.refused_from if row is not None else None

    async def enrollments(self, patient_id: UUID) -> Sequence[Enrollment]:
        rows = (
            (
                await self.session.execute(
                    select(EnrollmentProjection).where(EnrollmentProjection.patient_id == patient_id)
                )
            )
            .scalars()
            .all()
        )
        return [Enrollment(r.id, r.starts_on, r.ends_on, r.state, r.preventive_plan) for r in rows]

    async def referral(self, referral_id: UUID) -> Referral | None:
        r = await self.session.get(ReferralProjection, referral_id)
        if r is None:
            return None
        return Referral(r.id, r.patient_id, r.service_code, r.issued_on, r.valid_until, r.used)

    async def use_referral(self, referral_id: UUID, appointment_id: UUID) -> bool:
        """Mark it used unless it already is; False when another booking got there first."""
        stmt = (
            update(ReferralProjection)
            .where(ReferralProjection.id == referral_id, ReferralProjection.used.is_(False))
            .values(used=True, used_by=appointment_id)
            .returning(ReferralProjection.id)
        )
        return (await self.session.execute(stmt)).first() is not None

    async def settled(self, appointment_ids: Sequence[UUID]) -> set[UUID]:
        """BIL-4: the appointments billing last reported nothing due on."""
        if not appointment_ids:
            return set()
        stmt = select(AppointmentPayment.appointment_id).where(
            AppointmentPayment.appointment_id.in_(appointment_ids), AppointmentPayment.settled
        )
        return set((await self.session.execute(stmt)).scalars().all())
