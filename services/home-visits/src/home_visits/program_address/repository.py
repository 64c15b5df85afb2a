"""Queries of the program-address module."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from sqlalchemy import func, or_, select

from clinic_common.db import RepositoryBase

from home_visits.program_address.models import ProgramAddress, SupplementaryAgreement


class ProgramAddressRepository(RepositoryBase[ProgramAddress]):
    model = ProgramAddress

    async def in_force(self, enrollment_id: UUID, day: date) -> Sequence[ProgramAddress]:
        """The program's addresses on a day (HV-8: a change takes effect on its date)."""
        stmt = (
            select(ProgramAddress)
            .where(
                ProgramAddress.enrollment_id == enrollment_id,
                ProgramAddress.valid_from <= day,
                or_(ProgramAddress.valid_to.is_(None), ProgramAddress.valid_to > day),
            )
            .order_by(ProgramAddress.created_at, ProgramAddress.id)
        )
        return await self.all(stmt)

    async def current(self, enrollment_id: UUID) -> Sequence[ProgramAddress]:
        """The addresses as last agreed (those still open-ended)."""
        stmt = (
            select(ProgramAddress)
            .where(ProgramAddress.enrollment_id == enrollment_id, ProgramAddress.valid_to.is_(None))
            .order_by(ProgramAddress.created_at, ProgramAddress.id)
        )
        return await self.all(stmt)

    async def count(self, enrollment_id: UUID) -> int:
        stmt = (
            select(func.count())
            .select_from(ProgramAddress)
            .where(ProgramAddress.enrollment_id == enrollment_id)
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def agreement(self, enrollment_id: UUID) -> SupplementaryAgreement | None:
        stmt = select(SupplementaryAgreement).where(SupplementaryAgreement.enrollment_id == enrollment_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()
