"""Dispatch use cases (HV-9): plan a branch's day, insert an urgent visit into the running plan.
Never commits."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.calendar import is_public_holiday, local_to_utc, to_local
from clinic_common.errors import AppError, UnknownEntity
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.home_visits import HomeVisitAssigned

from home_visits import access
from home_visits.dispatch.domain import Doctor, Plan, Stop, solve
from home_visits.dispatch.models import DispatchPlan
from home_visits.dispatch.repository import DispatchRepository
from home_visits.organization.models import BranchProjection
from home_visits.organization.service import OrganizationContext, load_organization
from home_visits.visit.domain import PLANNABLE_STATUSES, VisitKind, VisitStatus, check_transition
from home_visits.visit.events import emit, visit_data
from home_visits.visit.models import HomeVisit
from home_visits.visit.repository import VisitRepository

DAY_END = 24 * 3600 - 1


class PlanDayPast(AppError):
    status = 422
    code = "plan_date_past"
    title = "A day that is over cannot be planned"
    rule = "HV-9"


@dataclass(frozen=True)
class Travel:
    """How dispatch turns distances into times (settings; README documents the speed)."""

    speed_kmh: float
    visit_minutes: int
    threads: int = 1

    @property
    def service_s(self) -> int:
        return self.visit_minutes * 60


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def time_of(seconds: int) -> time:
    s = max(0, min(seconds, DAY_END))
    return time(s // 3600, s % 3600 // 60, s % 60)


@dataclass(frozen=True)
class OnShift:
    practitioner_id: UUID
    starts_s: int
    ends_s: int


async def doctors_on_shift(
    session: AsyncSession, org: OrganizationContext, branch_id: UUID, day: date
) -> list[OnShift]:
    """HV-9: the branch's home-care doctors with a shift that day (public holidays only for shifts
    that work on them, SCH-5). One window per doctor: the span of their shifts that day."""
    holiday = is_public_holiday(org.country, day)
    spans: dict[UUID, tuple[int, int]] = {}
    for practitioner, shift in await DispatchRepository(session).shifts_on(branch_id, day):
        if holiday and not shift.works_on_holidays:
            continue
        start, end = _seconds(shift.starts), _seconds(shift.ends)
        known = spans.get(practitioner.id)
        spans[practitioner.id] = (min(start, known[0]), max(end, known[1])) if known else (start, end)
    return [OnShift(pid, s, e) for pid, (s, e) in sorted(spans.items())]


def _branch_point(branch: BranchProjection, visits: Sequence[HomeVisit]) -> tuple[float, float]:
    if branch.lat is not None and branch.lon is not None:
        return (branch.lon, branch.lat)
    if visits:  # a branch without coordinates: start from the middle of the day's addresses
        return (sum(v.lon for v in visits) / len(visits), sum(v.lat for v in visits) / len(visits))
    return (0.0, 0.0)


async def plan_day(
    session: AsyncSession,
    outbox: Outbox,
    branch: BranchProjection,
    org: OrganizationContext,
    day: date,
    now: datetime,
    travel: Travel,
) -> tuple[DispatchPlan, Plan]:
    """HV-9: assign the day's visits not yet under way to the doctors on shift and order the routes.

    On the current day the plan runs from now: doctors start no earlier than now, from the address
    of the visit they are at or driving to (after it, at the documented visit length), and visits
    under way or done keep their places."""
    repo = DispatchRepository(session)
    row = await repo.lock_plan(org.id, branch.id, day, now)
    local_now = to_local(now, org.time_zone)
    if day < local_now.date():
        raise PlanDayPast(f"{day.isoformat()} is over in the organization's time zone")
    visits = await VisitRepository(session).of_day(branch.id, day, for_update=True)
    plannable = [v for v in visits if v.status in PLANNABLE_STATUSES]
    under_way = {
        v.practitioner_id: v
        for v in visits
        if v.status in (VisitStatus.EN_ROUTE, VisitStatus.ARRIVED) and v.practitioner_id is not None
    }
    home = _branch_point(branch, plannable)
    now_s = _seconds(local_now.time()) if day == local_now.date() else None
    doctors: list[Doctor] = []
    for shift in await doctors_on_shift(session, org, branch.id, day):
        start_s, start_at = shift.starts_s, home
        if now_s is not None:
            start_s = max(start_s, now_s)
        current = under_way.get(shift.practitioner_id)
        if current is not None:
            start_s, start_at = start_s + travel.service_s, (current.lon, current.lat)
        if start_s < shift.ends_s:
            doctors.append(Doctor(shift.practitioner_id, start_at, home, (start_s, shift.ends_s)))
    stops = [
        Stop(
            id=v.id,
            lon=v.lon,
            lat=v.lat,
            service_s=travel.service_s,
            window=(_seconds(v.window_start), _seconds(v.window_end))
            if v.window_start is not None and v.window_end is not None
            else None,
            urgent=v.kind == VisitKind.URGENT,
        )
        for v in plannable
    ]
    plan = await asyncio.to_thread(solve, doctors, stops, speed_kmh=travel.speed_kmh, threads=travel.threads)
    await _apply(session, outbox, visits, plan, day, org.time_zone, now)
    row.version += 1
    row.planned_at = now
    row.total_distance_km = round(plan.distance_km, 3)
    row.routes = [
        {
            "practitioner_id": str(r.doctor_id),
            "distance_km": r.distance_km,
            "travel_minutes": round(r.travel_s / 60),
            "stops": [str(s.visit_id) for s in r.stops],
        }
        for r in plan.routes
    ]
    row.unassigned = [str(v) for v in plan.unassigned]
    await session.flush()
    return row, plan


async def _apply(
    session: AsyncSession,
    outbox: Outbox,
    visits: Sequence[HomeVisit],
    plan: Plan,
    day: date,
    tz: str,
    now: datetime,
) -> None:
    by_id = {v.id: v for v in visits}
    kept = [v for v in visits if v.status not in PLANNABLE_STATUSES and v.route_position is not None]
    for route in plan.routes:
        offset = max((v.route_position or 0 for v in kept if v.practitioner_id == route.doctor_id), default=0)
        for stop in route.stops:
            visit = by_id[stop.visit_id]
            position = offset + stop.position
            arrival = local_to_utc(day, time_of(stop.begin_s), tz)
            if (visit.status, visit.practitioner_id, visit.route_position, visit.planned_arrival) == (
                VisitStatus.ASSIGNED.value,
                route.doctor_id,
                position,
                arrival,
            ):
                continue
            check_transition(visit.status, VisitStatus.ASSIGNED)
            visit.status = VisitStatus.ASSIGNED.value
            visit.practitioner_id, visit.route_position, visit.planned_arrival = (
                route.doctor_id,
                position,
                arrival,
            )
            visit.updated_at = now
            await emit(
                session,
                outbox,
                visit,
                HomeVisitAssigned(
                    **{**visit_data(visit), "practitioner_id": route.doctor_id},
                    route_position=position,
                    planned_arrival=arrival,
                ),
                now,
            )
    for visit_id in plan.unassigned:
        visit = by_id[visit_id]
        if visit.status == VisitStatus.ASSIGNED:  # no longer fits anyone's day: back to the pool
            visit.status = VisitStatus.SCHEDULED.value
            visit.practitioner_id = visit.route_position = visit.planned_arrival = None
            visit.updated_at = now
    await session.flush()


async def plan_branch_day(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    branch_id: UUID,
    day: date,
    now: datetime,
    travel: Travel,
) -> tuple[DispatchPlan, Plan]:
    branch = await VisitRepository(session).branch(branch_id)
    if branch is None or not branch.active:
        raise UnknownEntity("branch", branch_id)
    access.check_can_plan(principal, branch.organization_id, branch.id)
    org = await load_organization(session, branch.organization_id)
    return await plan_day(session, outbox, branch, org, day, now, travel)


async def insert_urgent(
    session: AsyncSession, outbox: Outbox, visit: HomeVisit, now: datetime, travel: Travel
) -> None:
    """HV-2, HV-9: an urgent visit accepted for a day that has a plan goes into it at once."""
    if await DispatchRepository(session).existing_plan(visit.branch_id, visit.scheduled_for) is None:
        return
    branch = await VisitRepository(session).branch(visit.branch_id)
    if branch is None:
        return
    org = await load_organization(session, visit.organization_id)
    await plan_day(session, outbox, branch, org, visit.scheduled_for, now, travel)
