"""Queue use cases: the pass at check-in, calling the next patient or one out of turn, the called
patient entering the room, the staff view and the hall display's board (SCH-14, SCH-8, BIL-4).
Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.calendar import local_date

from scheduling import access
from scheduling.appointment.domain import Kind
from scheduling.appointment.models import Appointment
from scheduling.organization import service as organizations
from scheduling.organization.domain import Policy
from scheduling.organization.models import Branch, Organization
from scheduling.organization.repository import OrganizationRepository
from scheduling.practitioner.models import Practitioner
from scheduling.practitioner.repository import PractitionerRepository
from scheduling.queue.domain import (
    BranchNotFound,
    EntryStatus,
    Group,
    NotWaiting,
    OutOfTurnReason,
    QueueEmpty,
    QueueEntryNotFound,
    Waiting,
    calling_order,
    check_enters,
)
from scheduling.queue.models import QueueEntry
from scheduling.queue.repository import QueueRepository
from scheduling.standing.domain import PaymentRequired, may_start
from scheduling.standing.repository import StandingRepository


@dataclass(frozen=True)
class Context:
    """What ordering a practitioner's queue depends on: the policy and the branch's queue kind."""

    org: Organization
    policy: Policy
    branches: dict[UUID, Branch]

    def electronic(self, branch_id: UUID) -> bool:
        branch = self.branches.get(branch_id)
        return branch.electronic_queue if branch is not None else False

    def today(self, branch_id: UUID, now: datetime) -> date:
        return local_date(now, self.branches[branch_id].time_zone)


async def context(session: AsyncSession, organization_id: UUID, now: datetime) -> Context:
    org = await organizations.get_organization(session, organization_id)
    current = organizations.in_force(org, organizations.local_today(org, now))
    policy = (
        current.policy
        if current
        else min(organizations.versions_of(org), key=lambda v: v.effective_from).policy
    )
    return Context(org, policy, {b.id: b for b in org.branches})


def waiting(entry: QueueEntry) -> Waiting:
    return Waiting(entry.id, entry.number, Group(entry.grp), entry.appointment_start, entry.arrived_at)


# --- the pass (check-in) -------------------------------------------------------------------------


async def enqueue(
    session: AsyncSession, a: Appointment, group: Group, now: datetime, ctx: Context
) -> QueueEntry:
    """SCH-14: on arrival the registry checks the patient in and issues a pass; a patient who
    returns after extra procedures keeps their number and waits in the `returning` group."""
    repo = QueueRepository(session)
    day = ctx.today(a.branch_id, now)
    entry = await repo.of_appointment(a.id)
    if entry is None:
        entry = QueueEntry(
            id=uuid.uuid4(),
            organization_id=a.organization_id,
            branch_id=a.branch_id,
            practitioner_id=a.practitioner_id,
            day=day,
            number=await repo.issue_number(a.branch_id, day),
            appointment_id=a.id,
            patient_id=a.patient_id,
            appointment_start=a.start_at if a.kind == Kind.BOOKED else None,
        )
        session.add(entry)
    elif entry.day != day:  # moved to another day: a new pass there
        entry.day = day
        entry.number = await repo.issue_number(a.branch_id, day)
        entry.branch_id = a.branch_id
        entry.practitioner_id = a.practitioner_id
        entry.appointment_start = a.start_at
    else:
        await repo.touch(entry.branch_id, entry.day)
    entry.grp = group.value
    entry.status = EntryStatus.WAITING.value
    entry.arrived_at = now
    entry.called_at = None
    entry.entered_at = None
    await session.flush()
    return entry


async def position(session: AsyncSession, entry: QueueEntry, ctx: Context) -> int:
    """1-based place of a waiting entry in its practitioner's calling order."""
    rows = await QueueRepository(session).entries(entry.practitioner_id, [entry.day], waiting_only=True)
    order = calling_order(
        [waiting(e) for e, _ in rows],
        ctx.policy.queue_priority,
        electronic_queue=ctx.electronic(entry.branch_id),
    )
    return next((i for i, w in enumerate(order, start=1) if w.id == entry.id), 0)


async def leave(session: AsyncSession, appointment_id: UUID, now: datetime) -> None:
    """The visit ended (fulfilled, cancelled, moved): its pass is done."""
    repo = QueueRepository(session)
    entry = await repo.of_appointment(appointment_id)
    if entry is not None and entry.status != EntryStatus.DONE:
        entry.status = EntryStatus.DONE.value
        entry.done_at = now
        await repo.touch(entry.branch_id, entry.day)


async def in_progress(session: AsyncSession, appointment_id: UUID) -> bool:
    """The practitioner called the patient in (SCH-14: the patient enters only when called)."""
    entry = await QueueRepository(session).of_appointment(appointment_id)
    return entry is not None and entry.status in (EntryStatus.CALLED, EntryStatus.IN_ROOM)


# --- calling --------------------------------------------------------------------------------------


async def _today_waiting(
    session: AsyncSession, practitioner: Practitioner, ctx: Context, now: datetime
) -> list[tuple[QueueEntry, Appointment]]:
    days = sorted({ctx.today(b, now) for b in practitioner.branch_ids if b in ctx.branches})
    rows = await QueueRepository(session).entries(practitioner.id, days, waiting_only=True, lock=True)
    return [(e, a) for e, a in rows if e.day == ctx.today(e.branch_id, now)]


async def _startable(
    session: AsyncSession, rows: Sequence[tuple[QueueEntry, Appointment]], ctx: Context
) -> list[tuple[QueueEntry, Appointment]]:
    """BIL-4: under prepayment a paid visit is called only once billing reports it paid."""
    settled = await StandingRepository(session).settled([a.id for _, a in rows])
    prepayment = ctx.policy.payment_timing == "before_service"
    return [
        (e, a)
        for e, a in rows
        if may_start(
            payer_kind=a.payer_kind,
            emergency=a.kind == Kind.EMERGENCY,
            prepayment=prepayment,
            settled=a.id in settled,
        )
    ]


async def _call(session: AsyncSession, entry: QueueEntry, now: datetime) -> QueueEntry:
    entry.status = EntryStatus.CALLED.value
    entry.called_at = now
    await QueueRepository(session).touch(entry.branch_id, entry.day, call=True)
    await session.flush()
    return entry


async def call_next(
    session: AsyncSession, principal: Principal, practitioner: Practitioner, now: datetime
) -> QueueEntry:
    """SCH-14: call the first waiting patient in the calling order (display and sound); by
    appointment time where the branch has no electronic queue."""
    ctx = await context(session, practitioner.organization_id, now)
    rows = await _today_waiting(session, practitioner, ctx, now)
    _check_branches(principal, practitioner, rows)
    startable = await _startable(session, rows, ctx)
    if not startable:
        if rows:
            raise PaymentRequired(
                "every waiting patient's paid visit is still unpaid", waiting=[e.number for e, _ in rows]
            )
        raise QueueEmpty()
    electronic = ctx.electronic(startable[0][0].branch_id)
    by_id = {e.id: e for e, _ in startable}
    order = calling_order(
        [waiting(e) for e in by_id.values()], ctx.policy.queue_priority, electronic_queue=electronic
    )
    return await _call(session, by_id[order[0].id], now)


async def call_out_of_turn(
    session: AsyncSession,
    principal: Principal,
    practitioner: Practitioner,
    entry_id: UUID,
    reason: OutOfTurnReason,
    note: str | None,
    now: datetime,
) -> QueueEntry:
    """SCH-8 (O 3.7, O 5.2.8): take a waiting patient out of turn for a severe, acute or
    infectious case or an emergency; the reason is recorded."""
    ctx = await context(session, practitioner.organization_id, now)
    rows = await _today_waiting(session, practitioner, ctx, now)
    _check_branches(principal, practitioner, rows)
    found = [(e, a) for e, a in rows if e.id == entry_id]
    if not found:
        entry = await session.get(QueueEntry, entry_id)
        if entry is not None and entry.practitioner_id == practitioner.id:
            raise NotWaiting(current_status=entry.status)
        raise QueueEntryNotFound()
    if not await _startable(session, found, ctx):
        raise PaymentRequired()
    entry = found[0][0]
    entry.out_of_turn_reason = reason.value
    entry.out_of_turn_note = note
    return await _call(session, entry, now)


async def enter(
    session: AsyncSession, principal: Principal, practitioner: Practitioner, entry_id: UUID, now: datetime
) -> QueueEntry:
    """SCH-14 (O 3.15): the called patient enters the practitioner's room; from then on the hall
    display no longer shows the number as called (the board's version moves, without a sound)."""
    repo = QueueRepository(session)
    entry = await repo.entry(entry_id)
    if entry is None or entry.practitioner_id != practitioner.id:
        raise QueueEntryNotFound()
    access.check_can_act_for_practitioner(access.SERVE, principal, practitioner, entry.branch_id)
    check_enters(entry.status)
    entry.status = EntryStatus.IN_ROOM.value
    entry.entered_at = now
    await repo.touch(entry.branch_id, entry.day)
    await session.flush()
    return entry


def _check_branches(
    principal: Principal, practitioner: Practitioner, rows: Sequence[tuple[QueueEntry, Appointment]]
) -> None:
    for entry, _ in rows[:1]:
        access.check_can_act_for_practitioner(access.SERVE, principal, practitioner, entry.branch_id)


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryView:
    entry: QueueEntry
    position: int | None  # place in the calling order while waiting


async def queue_of(
    session: AsyncSession, practitioner: Practitioner, day: date | None, now: datetime
) -> list[EntryView]:
    """SCH-14: the practitioner's queue of a day: waiting patients in calling order, then the others."""
    ctx = await context(session, practitioner.organization_id, now)
    days = (
        [day]
        if day is not None
        else sorted({ctx.today(b, now) for b in practitioner.branch_ids if b in ctx.branches})
    )
    rows = await QueueRepository(session).entries(practitioner.id, days)
    entries = [e for e, _ in rows]
    waiting_entries = [e for e in entries if e.status == EntryStatus.WAITING]
    electronic = ctx.electronic(entries[0].branch_id) if entries else False
    order = calling_order(
        [waiting(e) for e in waiting_entries], ctx.policy.queue_priority, electronic_queue=electronic
    )
    place = {w.id: i for i, w in enumerate(order, start=1)}
    by_id = {e.id: e for e in entries}
    ordered = [by_id[w.id] for w in order] + [e for e in entries if e.status != EntryStatus.WAITING]
    return [EntryView(e, place.get(e.id)) for e in ordered]


@dataclass(frozen=True)
class Room:
    practitioner_id: UUID
    label: str
    called: list[int]  # called and not yet in the room, most recent first
    in_room: list[int]  # entered after the call (SCH-14), most recent first
    waiting: list[int]  # in calling order


@dataclass(frozen=True)
class Board:
    """What the hall display shows: numbers only, never names (SCH-14)."""

    branch_id: UUID
    branch_name: str
    day: date
    version: int
    calls: int
    last_called: int | None
    rooms: list[Room]


async def board(session: AsyncSession, branch_id: UUID, now: datetime) -> Board:
    branch = await OrganizationRepository(session).branch(branch_id)
    if branch is None:
        raise BranchNotFound()
    ctx = await context(session, branch.organization_id, now)
    day = local_date(now, branch.time_zone)
    repo = QueueRepository(session)
    queue_day = await repo.day(branch_id, day)
    entries = await repo.branch_entries(branch_id, day)
    labels = await _labels(session, sorted({e.practitioner_id for e in entries}, key=str))
    rooms = []
    for pid, label in labels.items():
        own = [e for e in entries if e.practitioner_id == pid]
        order = calling_order(
            [waiting(e) for e in own if e.status == EntryStatus.WAITING],
            ctx.policy.queue_priority,
            electronic_queue=branch.electronic_queue,
        )
        called = _latest_first(own, EntryStatus.CALLED, lambda e: e.called_at)
        in_room = _latest_first(own, EntryStatus.IN_ROOM, lambda e: e.entered_at)
        rooms.append(Room(pid, label, called, in_room, [w.number for w in order]))
    # "Now called": the latest call still waiting for its patient to come in
    calls = sorted(
        (e for e in entries if e.status == EntryStatus.CALLED and e.called_at is not None),
        key=lambda e: e.called_at or now,
    )
    return Board(
        branch_id=branch.id,
        branch_name=branch.name,
        day=day,
        version=queue_day.version if queue_day else 0,
        calls=queue_day.calls if queue_day else 0,
        last_called=calls[-1].number if calls else None,
        rooms=rooms,
    )


def _latest_first(
    entries: Sequence[QueueEntry], status: EntryStatus, at: Callable[[QueueEntry], datetime | None]
) -> list[int]:
    """The numbers of the entries in `status`, the most recent (by `at`) first."""
    chosen = sorted(
        (e for e in entries if e.status == status),
        key=lambda e: (at(e) or e.arrived_at, e.number),
        reverse=True,
    )
    return [e.number for e in chosen]


async def board_version(session: AsyncSession, branch_id: UUID, now: datetime, time_zone: str) -> int:
    queue_day = await QueueRepository(session).day(branch_id, local_date(now, time_zone))
    return queue_day.version if queue_day else 0


async def _labels(session: AsyncSession, practitioner_ids: Sequence[UUID]) -> dict[UUID, str]:
    """Each room by its specialty (numbered when several share one): the board shows no names."""
    repo = PractitionerRepository(session)
    specialties = {}
    for pid in practitioner_ids:
        p = await repo.get(pid)
        specialties[pid] = p.specialty.replace("_", " ").capitalize() if p else "Room"
    seen: dict[str, int] = {}
    labels = {}
    for pid in practitioner_ids:
        name = specialties[pid]
        seen[name] = seen.get(name, 0) + 1
        labels[pid] = name if seen[name] == 1 else f"{name} {seen[name]}"
    return labels
