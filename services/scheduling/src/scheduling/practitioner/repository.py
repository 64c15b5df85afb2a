"""Queries of the practitioner module."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from clinic_common.db import RepositoryBase

from scheduling.organization.models import Branch
from scheduling.practitioner.models import Practitioner, PractitionerBranch, Shift, ShiftExceptionRow


class PractitionerRepository(RepositoryBase[Practitioner]):
    model = Practitioner

    async def get_full(self, practitioner_id: UUID, *, for_update: bool = False) -> Practitioner | None:
        """The practitioner with the branches they work at (branch_links is lazy="raise").
        `for_update` locks the row, serializing changes to one practitioner's shifts."""
        stmt = (
            select(Practitioner)
            .where(Practitioner.id == practitioner_id)
            .options(selectinload(Practitioner.branch_links))
        )
        if for_update:
            stmt = stmt.with_for_update()
        return await self.one_or_none(stmt)

    async def page_active(
        self,
        *,
        organization_id: UUID | None,
        branch_id: UUID | None,
        specialty: str | None,
        home_care: bool | None,
        limit: int,
        after: UUID | None,
    ) -> Sequence[Practitioner]:
        stmt = (
            select(Practitioner)
            .where(Practitioner.active.is_(True))
            .options(selectinload(Practitioner.branch_links))
        )
        if organization_id is not None:
            stmt = stmt.where(Practitioner.organization_id == organization_id)
        if branch_id is not None:
            stmt = stmt.where(
                select(PractitionerBranch.practitioner_id)
                .where(
                    PractitionerBranch.practitioner_id == Practitioner.id,
                    PractitionerBranch.branch_id == branch_id,
                )
                .exists()
            )
        if specialty is not None:
            stmt = stmt.where(Practitioner.specialty == func.lower(specialty))
        if home_care is not None:
            stmt = stmt.where(Practitioner.home_care.is_(home_care))
        return await self.page(stmt, limit=limit, key_column=Practitioner.id, after=after)

    async def shifts(self, practitioner_id: UUID) -> Sequence[Shift]:
        stmt = (
            select(Shift)
            .where(Shift.practitioner_id == practitioner_id)
            .order_by(Shift.weekday, Shift.starts, Shift.branch_id)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def shifts_with_zone(self, practitioner_id: UUID) -> Sequence[tuple[Shift, str]]:
        """The practitioner's shifts with their branch's time zone."""
        stmt = (
            select(Shift, Branch.time_zone)
            .join(Branch, Branch.id == Shift.branch_id)
            .where(Shift.practitioner_id == practitioner_id)
            .order_by(Shift.weekday, Shift.starts, Shift.branch_id)
        )
        return [(shift, zone) for shift, zone in (await self.session.execute(stmt)).all()]

    async def shift(self, shift_id: UUID) -> Shift | None:
        return await self.session.get(Shift, shift_id)

    async def exceptions(self, practitioner_id: UUID, first: date, last: date) -> Sequence[ShiftExceptionRow]:
        stmt = (
            select(ShiftExceptionRow)
            .where(
                ShiftExceptionRow.practitioner_id == practitioner_id,
                ShiftExceptionRow.day.between(first, last),
            )
            .order_by(ShiftExceptionRow.day, ShiftExceptionRow.starts)
        )
        return (await self.session.execute(stmt)).scalars().all()
