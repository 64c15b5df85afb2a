"""Queries of the queue module."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from scheduling.appointment.models import Appointment
from scheduling.queue.models import QueueDay, QueueEntry


class QueueRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def issue_number(self, branch_id: UUID, day: date) -> int:
        """The next pass number of the branch that day (the row lock orders concurrent check-ins)."""
        t = QueueDay
        stmt = (
            pg_insert(t)
            .values(branch_id=branch_id, day=day, last_number=1, version=1, calls=0)
            .on_conflict_do_update(
                index_elements=[t.branch_id, t.day],
                set_={"last_number": t.last_number + 1, "version": t.version + 1},
            )
            .returning(t.last_number)
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def touch(self, branch_id: UUID, day: date, *, call: bool = False) -> None:
        """Tell the hall display the queue changed (and, for a call, to sound)."""
        t = QueueDay
        stmt = (
            pg_insert(t)
            .values(branch_id=branch_id, day=day, last_number=0, version=1, calls=1 if call else 0)
            .on_conflict_do_update(
                index_elements=[t.branch_id, t.day],
                set_={"version": t.version + 1, "calls": t.calls + (1 if call else 0)},
            )
        )
        await self.session.execute(stmt)

    async def day(self, branch_id: UUID, day: date) -> QueueDay | None:
        return await self.session.get(QueueDay, (branch_id, day))

    async def entry(self, entry_id: UUID) -> QueueEntry | None:
        stmt = select(QueueEntry).where(QueueEntry.id == entry_id).with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def of_appointment(self, appointment_id: UUID) -> QueueEntry | None:
        stmt = select(QueueEntry).where(QueueEntry.appointment_id == appointment_id).with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def entries(
        self, practitioner_id: UUID, days: Sequence[date], *, waiting_only: bool = False, lock: bool = False
    ) -> Sequence[tuple[QueueEntry, Appointment]]:
        stmt = (
            select(QueueEntry, Appointment)
            .join(Appointment, Appointment.id == QueueEntry.appointment_id)
            .where(QueueEntry.practitioner_id == practitioner_id, QueueEntry.day.in_(days))
            .order_by(QueueEntry.number)
        )
        if waiting_only:
            stmt = stmt.where(QueueEntry.status == "waiting")
        if lock:
            stmt = stmt.with_for_update(of=QueueEntry)
        return [(e, a) for e, a in (await self.session.execute(stmt)).all()]

    async def branch_entries(self, branch_id: UUID, day: date) -> Sequence[QueueEntry]:
        stmt = select(QueueEntry).where(QueueEntry.branch_id == branch_id, QueueEntry.day == day)
        return (await self.session.execute(stmt.order_by(QueueEntry.number))).scalars().all()
