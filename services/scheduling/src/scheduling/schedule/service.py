"""Free time use cases: the free slots of `GET /v1/slots`, and where a visit fits (SCH-2, SCH-5).

Both read the same working windows (`practitioner.domain.windows_on`, the one shift concept)
in each branch's own time zone, so a slot listed is a slot that can be booked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple, Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.calendar import Country, OpeningHours, is_public_holiday, local_date
from clinic_common.errors import AppError

from scheduling.appointment.domain import SlotTaken
from scheduling.catalog.models import ServiceProjection
from scheduling.catalog.repository import ServiceRepository, ServiceUnknown
from scheduling.organization import service as organizations
from scheduling.organization.domain import (
    NoPolicyInForce,
    Policy,
    PolicyVersion,
    policy_in_force,
    to_opening_hours,
)
from scheduling.organization.models import Branch, Organization
from scheduling.practitioner.domain import (
    PractitionerNotFound,
    ShiftException,
    VisitType,
    WeeklyShift,
    WorkWindow,
    default_visit_type,
    visit_minutes,
    windows_on,
    within_opening_hours,
)
from scheduling.practitioner.models import Practitioner
from scheduling.practitioner.service import as_exception
from scheduling.schedule.domain import (
    Busy,
    OutsideWorkingHours,
    Span,
    Window,
    free_of,
    grid,
    period_days,
    place,
    to_instants,
)
from scheduling.schedule.repository import OrgCalendar, ScheduleRepository


class PractitionerAbsent(AppError):
    status = 422
    code = "practitioner_absent"
    title = "The practitioner is absent at that time"
    rule = "SCH-11"


@dataclass(frozen=True)
class BranchCalendar:
    """What the working windows of a branch-local date depend on (ORG-1, ORG-2, SCH-5)."""

    id: UUID
    time_zone: str
    hours: OpeningHours
    country: Country


def calendars(org: Organization | OrgCalendar) -> dict[UUID, BranchCalendar]:
    country = Country(org.country)
    if isinstance(org, OrgCalendar):
        return {
            bid: BranchCalendar(bid, zone, to_opening_hours(organizations.hours_of(hours)), country)
            for bid, zone, hours in org.branches
        }
    return {b.id: BranchCalendar(b.id, b.time_zone, hours_of(b), country) for b in org.branches}


def hours_of(branch: Branch) -> OpeningHours:
    return to_opening_hours(organizations.hours_of(branch.opening_hours))


def windows(
    day: date, shifts: Sequence[WeeklyShift], exceptions: Sequence[ShiftException], cal: BranchCalendar
) -> list[Window]:
    """SCH-1, SCH-5: the practitioner's windows at one branch on its local `day`: shifts and
    exceptions of that branch, inside its opening hours, never on a holiday unless a shift says so."""
    return in_branch(day, shifts_on(day, shifts, exceptions, cal, is_public_holiday(cal.country, day)), cal)


def shifts_on(
    day: date,
    shifts: Sequence[WeeklyShift],
    exceptions: Sequence[ShiftException],
    cal: BranchCalendar,
    public_holiday: bool,
) -> tuple[WorkWindow, ...]:
    """The wall-clock windows of the practitioner's shifts and exceptions at the branch that day."""
    return tuple(
        windows_on(
            day,
            [s for s in shifts if s.branch_id == cal.id],
            [e for e in exceptions if e.branch_id in (None, cal.id)],
            public_holiday=public_holiday,
        )
    )


def in_branch(day: date, own: Sequence[WorkWindow], cal: BranchCalendar) -> list[Window]:
    """Wall-clock windows inside the branch's opening hours, as instants of its zone."""
    return to_instants(day, within_opening_hours(own, {cal.id: cal.hours}, day.weekday()), cal.time_zone)


class _Windows:
    """`windows` of many practitioners: what depends only on the branch and the date (the public
    holiday, a wall-clock window clipped and as instants) is worked out once per request."""

    def __init__(self) -> None:
        self.holidays: dict[tuple[Country, date], bool] = {}
        self.placed: dict[tuple[date, UUID, tuple[WorkWindow, ...]], list[Window]] = {}

    def __call__(
        self,
        day: date,
        shifts: Sequence[WeeklyShift],
        exceptions: Sequence[ShiftException],
        cal: BranchCalendar,
    ) -> list[Window]:
        holiday = self.holidays.get((cal.country, day))
        if holiday is None:
            holiday = self.holidays[(cal.country, day)] = is_public_holiday(cal.country, day)
        own = shifts_on(day, shifts, exceptions, cal, holiday)
        placed = self.placed.get((day, cal.id, own))
        if placed is None:
            placed = self.placed[(day, cal.id, own)] = in_branch(day, own, cal)
        return placed


class HasDurations(Protocol):
    @property
    def visit_durations(self) -> Mapping[str, int]: ...


def length_of(
    practitioner: HasDurations, service: ServiceProjection | None, visit_type: VisitType | None
) -> tuple[VisitType | None, timedelta]:
    """SCH-2: the visit type (asked for, else a first visit of the service's kind) and its
    length: the practitioner's for that type, the catalogue's only for other services."""
    if service is None:
        asked = visit_type or VisitType.FIRST_CONSULTATION
        return asked, timedelta(minutes=practitioner.visit_durations[asked.value])
    chosen: VisitType | None = visit_type or default_visit_type(service.category)
    if visit_type is not None and default_visit_type(service.category) is None:
        chosen = None  # not a practitioner's visit (sample collection, a procedure)
    minutes = visit_minutes(practitioner.visit_durations, chosen, service.duration_minutes)
    return chosen, timedelta(minutes=minutes)


# --- where a visit fits (booking, rescheduling) ---------------------------------------------------


async def place_visit(
    session: AsyncSession,
    practitioner: Practitioner,
    span: Span,
    org: Organization,
    *,
    skip: UUID | None = None,
) -> UUID:
    """SCH-5, SCH-2, SCH-11, SCH-8: the branch whose window holds the visit on its grid; refused
    while the practitioner is absent or a delayed visit is expected then. The exclusion
    constraints settle what races past this (SCH-4)."""
    repo = ScheduleRepository(session)
    cals = [c for c in calendars(org).values() if c.id in set(practitioner.branch_ids)]
    shifts = (await repo.shifts([practitioner.id])).get(practitioner.id, [])
    days = {c.id: local_date(span.start, c.time_zone) for c in cals}
    found = (
        await repo.exceptions(
            [practitioner.id], min(days.values(), default=date.min), max(days.values(), default=date.min)
        )
        if days
        else {}
    )
    exceptions = [as_exception(e) for e in found.get(practitioner.id, [])]
    candidates = [w for c in cals for w in windows(days[c.id], shifts, exceptions, c)]
    try:
        branch_id = place(span, candidates)
    except OutsideWorkingHours:
        if any(is_public_holiday(c.country, days[c.id]) for c in cals) and not candidates:
            raise OutsideWorkingHours(
                "The organization does not work on this public holiday", holiday=True
            ) from None
        raise
    if await repo.absent(practitioner.id, span):
        raise PractitionerAbsent()
    busy = await repo.busy([practitioner.id], span.start, span.end, skip=skip)
    if Busy(busy.get(practitioner.id, [])).overlaps(span):
        raise SlotTaken("The practitioner is expected to be busy then (a delayed visit or an absence)")
    return branch_id


# --- free slots (GET /v1/slots) ----------------------------------------------------------------


@dataclass(frozen=True)
class SlotQuery:
    organization_id: UUID | None
    branch_id: UUID | None
    practitioner_id: UUID | None
    specialty: str | None
    service_code: str | None
    visit_type: VisitType | None
    channel: str
    first: date | None
    last: date | None
    starting: datetime | None = None  # no slot starts before (a page's cursor): not worked out


class FreeSlot(NamedTuple):
    """A free slot (a tuple: a branch-day has about a thousand of them)."""

    practitioner_id: UUID
    branch_id: UUID
    service_code: str | None
    visit_type: VisitType | None
    span: Span
    time_zone: str


async def free_slots(session: AsyncSession, q: SlotQuery, now: datetime) -> list[FreeSlot]:
    """Free slots of the practitioners the query names, computed, never stored: working windows
    per branch-local date minus busy time, from now plus the channel's lead time (SCH-3)."""
    repo = ScheduleRepository(session)
    practitioners = await repo.practitioners(
        organization_id=q.organization_id,
        branch_id=q.branch_id,
        practitioner_id=q.practitioner_id,
        specialty=q.specialty,
    )
    if q.practitioner_id is not None and not practitioners:
        raise PractitionerNotFound()
    if not practitioners:
        return []
    orgs = {o.id: o for o in await repo.organizations(sorted({p.organization_id for p in practitioners}))}
    services = await _services(session, orgs, q.service_code)
    cals = {bid: cal for org in orgs.values() for bid, cal in calendars(org).items()}
    if q.branch_id is not None:
        cals = {q.branch_id: cals[q.branch_id]} if q.branch_id in cals else {}
    first_cal = next(iter(cals.values()), None)
    if first_cal is None:
        return []
    first = q.first or local_date(now, first_cal.time_zone)
    days = period_days(first, q.last or first + timedelta(days=6))
    pids = [p.id for p in practitioners if p.organization_id in services]
    shifts = await repo.shifts(pids, days[0], days[-1])
    exceptions = await repo.exceptions(pids, days[0] - timedelta(days=1), days[-1] + timedelta(days=1))
    plan: dict[UUID, list[tuple[Window, str]]] = {}
    windows_at = _Windows()
    for p in practitioners:
        if p.id not in pids:
            continue
        weekly = shifts.get(p.id, [])
        dated = [as_exception(e) for e in exceptions.get(p.id, [])]
        plan[p.id] = [
            (w, cals[bid].time_zone)
            for bid in p.branch_ids
            if bid in cals
            for day in days
            for w in windows_at(day, weekly, dated, cals[bid])
            if q.starting is None or w.span.end > q.starting
        ]
    spans = [w.span for ws in plan.values() for w, _ in ws]
    if not spans:
        return []
    busy = await repo.busy(pids, min(s.start for s in spans), max(s.end for s in spans))
    not_before = {org_id: now + timedelta(minutes=_lead(org, q.channel, now)) for org_id, org in orgs.items()}
    if q.starting is not None:
        not_before = {org_id: max(at, q.starting) for org_id, at in not_before.items()}
    # Practitioners of a branch mostly share their windows: each grid is laid out once.
    grids: dict[tuple[Span, timedelta], list[Span]] = {}
    slots: list[FreeSlot] = []
    # In the order of the ids as text, so that sorting by start alone (stable) orders the slots
    # by start, then practitioner: the order `_cursor` pages by.
    for p in sorted(practitioners, key=lambda p: str(p.id)):
        if p.id not in plan:
            continue
        service = services[p.organization_id]
        code = service.code if service else None
        visit_type, length = length_of(p, service, q.visit_type)
        taken = Busy(busy.get(p.id, []))
        for window, zone in plan[p.id]:
            key = (window.span, length)
            laid = grids.get(key)
            if laid is None:
                laid = grids[key] = grid(window, length)
            slots.extend(
                FreeSlot(p.id, window.branch_id, code, visit_type, span, zone)
                for span in free_of(laid, taken, not_before[p.organization_id])
            )
    slots.sort(key=slot_start)
    return slots


def slot_start(slot: FreeSlot) -> datetime:
    """What free slots are sorted by (stably, after the practitioner: see `free_slots`)."""
    return slot.span.start


def _lead(org: OrgCalendar, channel: str, now: datetime) -> int:
    """SCH-3: the policy's lead time for the channel, in force today (ORG-3)."""
    versions = [PolicyVersion(day, Policy.model_validate(policy)) for day, policy in org.versions]
    try:
        return policy_in_force(versions, local_date(now, org.time_zone)).policy.lead_minutes(channel)
    except NoPolicyInForce:
        return 0


async def _services(
    session: AsyncSession, orgs: Mapping[UUID, OrgCalendar], code: str | None
) -> dict[UUID, ServiceProjection | None]:
    """The service per organization (`service_unknown` when none of them knows the code)."""
    if code is None:
        return dict.fromkeys(orgs)
    result: dict[UUID, ServiceProjection | None] = {}
    repo = ServiceRepository(session)
    for org_id in orgs:
        try:
            result[org_id] = await repo.known(org_id, code)
        except ServiceUnknown:
            continue
    if not result:
        raise ServiceUnknown(f"service {code} is not known here yet; retry shortly", service_code=code)
    return result
