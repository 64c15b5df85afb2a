"""Queries of free-time computation: shifts, exceptions and what is busy, for many practitioners."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from scheduling.absence.models import Absence
from scheduling.appointment.models import ACTIVE_STATUSES, Appointment
from scheduling.practitioner.models import Practitioner, PractitionerBranch, Shift, ShiftExceptionRow
from scheduling.schedule.domain import Span


class ScheduleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def practitioners(
        self,
        *,
        organization_id: UUID | None,
        branch_id: UUID | None,
        practitioner_id: UUID | None,
        specialty: str | None,
    ) -> Sequence[Practitioner]:
        stmt = (
            select(Practitioner)
            .where(Practitioner.active.is_(True))
            .options(selectinload(Practitioner.branch_links))
            .order_by(Practitioner.id)
        )
        if organization_id is not None:
            stmt = stmt.where(Practitioner.organization_id == organization_id)
        if practitioner_id is not None:
            stmt = stmt.where(Practitioner.id == practitioner_id)
        if specialty is not None:
            stmt = stmt.where(Practitioner.specialty == specialty)
        if branch_id is not None:
            stmt = stmt.where(
                select(PractitionerBranch.practitioner_id)
                .where(
                    PractitionerBranch.practitioner_id == Practitioner.id,
                    PractitionerBranch.branch_id == branch_id,
                )
                .exists()
            )
        return (await self.session.execute(stmt)).scalars().all()

    async def shifts(self, practitioner_ids: Sequence[UUID]) -> dict[UUID, list[Shift]]:
        rows = (
            (await self.session.execute(select(Shift).where(Shift.practitioner_id.in_(practitioner_ids))))
            .scalars()
            .all()
        )
        result: dict[UUID, list[Shift]] = defaultdict(list)
        for row in rows:
            result[row.practitioner_id].append(row)
        return result

    async def exceptions(
        self, practitioner_ids: Sequence[UUID], first: date, last: date
    ) -> dict[UUID, list[ShiftExceptionRow]]:
        stmt = select(ShiftExceptionRow).where(
            ShiftExceptionRow.practitioner_id.in_(practitioner_ids),
            ShiftExceptionRow.day.between(first, last),
        )
        result: dict[UUID, list[ShiftExceptionRow]] = defaultdict(list)
        for row in (await self.session.execute(stmt)).scalars().all():
            result[row.practitioner_id].append(row)
        return result

    async def busy(
        self, practitioner_ids: Sequence[UUID], start: datetime, end: datetime, *, skip: UUID | None = None
    ) -> dict[UUID, list[Span]]:
        """SCH-4, SCH-8, SCH-11: active visits at their booked and expected times, and absences,
        that touch [start, end); `skip` leaves one appointment out (the one being moved)."""
        expected_end = Appointment.expected_start_at + (Appointment.end_at - Appointment.start_at)
        visits = select(
            Appointment.id,
            Appointment.practitioner_id,
            Appointment.start_at,
            Appointment.end_at,
            Appointment.expected_start_at,
        ).where(
            Appointment.practitioner_id.in_(practitioner_ids),
            Appointment.status.in_(ACTIVE_STATUSES),
            or_(
                and_(Appointment.start_at < end, Appointment.end_at > start),
                and_(Appointment.expected_start_at < end, expected_end > start),
            ),
        )
        result: dict[UUID, list[Span]] = defaultdict(list)
        for row in (await self.session.execute(visits)).all():
            if row.id == skip:
                continue
            result[row.practitioner_id].append(Span(row.start_at, row.end_at))
            if row.expected_start_at != row.start_at:
                length = row.end_at - row.start_at
                result[row.practitioner_id].append(
                    Span(row.expected_start_at, row.expected_start_at + length)
                )
        absences = select(Absence.practitioner_id, Absence.starts_at, Absence.ends_at).where(
            Absence.practitioner_id.in_(practitioner_ids), Absence.starts_at < end, Absence.ends_at > start
        )
        for absent in (await self.session.execute(absences)).all():
            result[absent.practitioner_id].append(Span(absent.starts_at, absent.ends_at))
        return result

    async def absent(self, practitioner_id: UUID, span: Span) -> bool:
        stmt = select(Absence.id).where(
            Absence.practitioner_id == practitioner_id,
            Absence.starts_at < span.end,
            Absence.ends_at > span.start,
        )
        return (await self.session.execute(stmt.limit(1))).first() is not None
