"""Queries of free-time computation: shifts, exceptions and what is busy, for many practitioners."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Uuid, any_, func, literal, or_, select, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from scheduling.absence.models import Absence
from scheduling.appointment.domain import MAX_TOTAL_DELAY_MINUTES
from scheduling.appointment.models import ACTIVE_STATUSES, Appointment
from scheduling.organization.domain import MAX_VISIT_MINUTES
from scheduling.organization.models import Branch, Organization, PolicyVersionRow
from scheduling.practitioner.domain import WeeklyShift
from scheduling.practitioner.models import Practitioner, PractitionerBranch, Shift, ShiftExceptionRow
from scheduling.schedule.domain import Span

LOOKBACK = timedelta(minutes=MAX_VISIT_MINUTES + MAX_TOTAL_DELAY_MINUTES)
_AT = aliased(PractitionerBranch)  # "works at the branch"; made once, an alias is costly to make


@dataclass
class Staff:
    """What a slot search needs of a practitioner."""

    id: UUID
    organization_id: UUID
    visit_durations: dict[str, int]
    branch_ids: list[UUID]


@dataclass
class OrgCalendar:
    id: UUID
    country: str
    time_zone: str
    branches: list[tuple[UUID, str, list[dict[str, Any]]]]  # id, zone, opening hours as stored
    versions: list[tuple[date, dict[str, Any]]]  # effective_from, policy as stored


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
    ) -> list[Staff]:
        """Active practitioners the search names, with their branches, in one query."""
        stmt = (
            select(
                Practitioner.id,
                Practitioner.organization_id,
                Practitioner.visit_durations,
                PractitionerBranch.branch_id,
            )
            .join(PractitionerBranch, PractitionerBranch.practitioner_id == Practitioner.id)
            .where(Practitioner.active.is_(True))
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
                select(_AT.practitioner_id)
                .where(_AT.practitioner_id == Practitioner.id, _AT.branch_id == branch_id)
                .exists()
            )
        staff: dict[UUID, Staff] = {}
        for row in (await self.session.execute(stmt)).all():
            found = staff.setdefault(row.id, Staff(row.id, row.organization_id, row.visit_durations, []))
            found.branch_ids.append(row.branch_id)
        return list(staff.values())

    async def shifts(
        self, practitioner_ids: Sequence[UUID], first: date | None = None, last: date | None = None
    ) -> dict[UUID, list[WeeklyShift]]:
        """The practitioners' weekly shifts valid in [first, last], as plain values."""
        stmt = select(
            Shift.id,
            Shift.practitioner_id,
            Shift.branch_id,
            Shift.weekday,
            Shift.starts,
            Shift.ends,
            Shift.valid_from,
            Shift.valid_to,
            Shift.works_on_holidays,
        ).where(Shift.practitioner_id == _any(practitioner_ids))
        if first is not None and last is not None:
            stmt = stmt.where(
                Shift.valid_from <= last, or_(Shift.valid_to.is_(None), Shift.valid_to >= first)
            )
            if (last - first).days < 6:
                weekdays = {(first + timedelta(days=n)).weekday() for n in range((last - first).days + 1)}
                stmt = stmt.where(Shift.weekday.in_(weekdays))
        result: dict[UUID, list[WeeklyShift]] = defaultdict(list)
        for row in (await self.session.execute(stmt)).all():
            result[row.practitioner_id].append(
                WeeklyShift(
                    id=row.id,
                    branch_id=row.branch_id,
                    weekday=row.weekday,
                    starts=row.starts,
                    ends=row.ends,
                    valid_from=row.valid_from,
                    valid_to=row.valid_to,
                    works_on_holidays=row.works_on_holidays,
                )
            )
        return result

    async def exceptions(
        self, practitioner_ids: Sequence[UUID], first: date, last: date
    ) -> dict[UUID, list[ShiftExceptionRow]]:
        stmt = select(ShiftExceptionRow).where(
            ShiftExceptionRow.practitioner_id == _any(practitioner_ids),
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
        # A visit lasts at most MAX_VISIT_MINUTES (the policy's bound) and is delayed by at most an
        # hour (SCH-8), so whatever touches [start, end) started less than LOOKBACK before `start`:
        # a range on the (practitioner_id, start_at) index.
        visits = select(
            Appointment.practitioner_id,
            Appointment.start_at,
            Appointment.end_at,
            Appointment.expected_start_at,
        ).where(
            Appointment.practitioner_id == _any(practitioner_ids),
            Appointment.status.in_(ACTIVE_STATUSES),
            Appointment.start_at < end,
            Appointment.start_at > start - LOOKBACK,
        )
        if skip is not None:
            visits = visits.where(Appointment.id != skip)
        # An absence is a visit that is expected when it is booked, and it touches [start, end).
        absences = select(
            Absence.practitioner_id, Absence.starts_at, Absence.ends_at, Absence.starts_at
        ).where(
            Absence.practitioner_id == _any(practitioner_ids),
            Absence.starts_at < end,
            Absence.ends_at > start,
        )
        result: dict[UUID, list[Span]] = defaultdict(list)
        # Visits and absences in one round trip, all rows at once (a branch-day has hundreds).
        for practitioner_id, starts, ends, expected in (
            await self.session.execute(union_all(visits, absences))
        ).all():
            spans = result[practitioner_id]
            if starts < end and ends > start:
                spans.append(Span(starts, ends))
            if expected != starts:  # delayed (SCH-8): also busy at the expected time
                expected_end = expected + (ends - starts)
                if expected < end and expected_end > start:
                    spans.append(Span(expected, expected_end))
        return result

    async def absent(self, practitioner_id: UUID, span: Span) -> bool:
        stmt = select(Absence.id).where(
            Absence.practitioner_id == practitioner_id,
            Absence.starts_at < span.end,
            Absence.ends_at > span.start,
        )
        return (await self.session.execute(stmt.limit(1))).first() is not None

    async def organizations(self, organization_ids: Sequence[UUID]) -> list[OrgCalendar]:
        """What slot searches need of organizations (ORG-1..ORG-3) in one round trip: the country
        and zone, each branch's zone and hours, the policy versions."""
        branches = (
            select(func.json_agg(func.json_build_array(Branch.id, Branch.time_zone, Branch.opening_hours)))
            .where(Branch.organization_id == Organization.id)
            .scalar_subquery()
        )
        versions = (
            select(
                func.json_agg(func.json_build_array(PolicyVersionRow.effective_from, PolicyVersionRow.policy))
            )
            .where(PolicyVersionRow.organization_id == Organization.id)
            .scalar_subquery()
        )
        stmt = select(
            Organization.id,
            Organization.country,
            Organization.time_zone,
            branches.label("branches"),
            versions.label("versions"),
        ).where(Organization.id == _any(organization_ids))
        found = []
        for row in (await self.session.execute(stmt)).all():
            found.append(
                OrgCalendar(
                    row.id,
                    row.country,
                    row.time_zone,
                    [(UUID(b), zone, hours) for b, zone, hours in _json(row.branches)],
                    [(date.fromisoformat(day), policy) for day, policy in _json(row.versions)],
                )
            )
        return found


def _any(ids: Sequence[UUID]) -> Any:
    """`= ANY(array)`: one parameter however many ids, so the statement stays cached as compiled
    (an IN list is expanded into one parameter per id on every call)."""
    return any_(literal(list(ids), ARRAY(Uuid())))


def _json(value: Any) -> list[Any]:
    """A `json_agg` as asyncpg returns it (text), or nothing for no rows."""
    if value is None:
        return []
    return list(json.loads(value) if isinstance(value, str) else value)
