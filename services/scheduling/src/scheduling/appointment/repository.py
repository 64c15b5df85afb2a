"""Queries of the appointment module."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Date, cast, func, select

from clinic_common.db import RepositoryBase

from scheduling.access import AppointmentFilter
from scheduling.appointment.models import ACTIVE_STATUSES, Appointment
from scheduling.organization.models import Branch


class AppointmentRepository(RepositoryBase[Appointment]):
    model = Appointment

    async def time_zone(self, branch_id: UUID) -> str:
        zone = await self.session.scalar(select(Branch.time_zone).where(Branch.id == branch_id))
        return zone or "UTC"

    async def list(
        self,
        visible: AppointmentFilter,
        *,
        patient_id: UUID | None,
        practitioner_id: UUID | None,
        day: date | None,
        limit: int,
        after: UUID | None,
    ) -> Sequence[tuple[Appointment, str]]:
        """Appointments the caller may see (`access.visible_appointments`), filtered; `day` is
        the branch-local date of the booked start."""
        stmt = select(Appointment, Branch.time_zone).join(Branch, Branch.id == Appointment.branch_id)
        if visible.organization_id is not None:
            stmt = stmt.where(Appointment.organization_id == visible.organization_id)
        if visible.branch_ids is not None:
            stmt = stmt.where(Appointment.branch_id.in_(visible.branch_ids))
        if visible.patient_id is not None:
            stmt = stmt.where(Appointment.patient_id == visible.patient_id)
        if patient_id is not None:
            stmt = stmt.where(Appointment.patient_id == patient_id)
        if practitioner_id is not None:
            stmt = stmt.where(Appointment.practitioner_id == practitioner_id)
        if day is not None:
            stmt = stmt.where(cast(func.timezone(Branch.time_zone, Appointment.start_at), Date) == day)
        if after is not None:
            stmt = stmt.where(Appointment.id > after)
        rows = (await self.session.execute(stmt.order_by(Appointment.id).limit(limit + 1))).all()
        return [(a, zone) for a, zone in rows]

    async def day_of(self, practitioner_id: UUID, start: datetime, end: datetime) -> Sequence[Appointment]:
        """The practitioner's active visits booked in [start, end), locked, in booked order (SCH-8)."""
        stmt = (
            select(Appointment)
            .where(
                Appointment.practitioner_id == practitioner_id,
                Appointment.status.in_(ACTIVE_STATUSES),
                Appointment.start_at >= start,
                Appointment.start_at < end,
            )
            .order_by(Appointment.start_at)
            .with_for_update()
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def overlapping(
        self, practitioner_id: UUID, start: datetime, end: datetime
    ) -> Sequence[Appointment]:
        """Active visits of the practitioner touching [start, end), locked (SCH-11)."""
        stmt = (
            select(Appointment)
            .where(
                Appointment.practitioner_id == practitioner_id,
                Appointment.status.in_(ACTIVE_STATUSES),
                Appointment.start_at < end,
                Appointment.end_at > start,
            )
            .order_by(Appointment.start_at)
            .with_for_update()
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def overdue(self, before: datetime, limit: int) -> Sequence[Appointment]:
        """Booked visits expected to have started before `before`, locked, skipping rows another
        sweeper holds (SCH-7 no-shows)."""
        stmt = (
            select(Appointment)
            .where(Appointment.status == "booked", Appointment.expected_start_at < before)
            .order_by(Appointment.expected_start_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.execute(stmt)).scalars().all()
