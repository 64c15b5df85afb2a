"""Practitioner and shift use cases: load, apply the rules, persist, add events. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, time
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.errors import Conflict, UnknownEntity
from clinic_common.events.catalog import type_of
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.scheduling import (
    PractitionerUpserted,
    ShiftExceptionUpserted,
    ShiftUpserted,
)

from scheduling import access
from scheduling.organization import service as organizations
from scheduling.organization.domain import NoPolicyInForce, OrganizationNotFound, check_weekly_hours
from scheduling.organization.repository import OrganizationRepository
from scheduling.practitioner.domain import (
    ExceptionKind,
    InvalidShiftException,
    PractitionerNotFound,
    ShiftException,
    ShiftOverlaps,
    WeeklyShift,
    check_branch_assigned,
    check_no_overlap,
    check_shift_within_opening_hours,
    check_visit_durations,
    windows_on,
)
from scheduling.practitioner.models import Practitioner, PractitionerBranch, Shift, ShiftExceptionRow
from scheduling.practitioner.repository import PractitionerRepository
from scheduling.practitioner.schemas import PractitionerUpsert, ShiftExceptionCreate, ShiftUpsert


class PractitionerOfAnotherOrganization(Conflict):
    code = "practitioner_of_another_organization"
    title = "The practitioner id belongs to another organization"
    rule = "SCH-1"


class ShiftOfAnotherPractitioner(Conflict):
    code = "shift_of_another_practitioner"
    title = "The shift id belongs to another practitioner"
    rule = "SCH-1"


class BranchHasShifts(Conflict):
    code = "branch_has_shifts"
    title = "The practitioner still has shifts at a branch being removed"
    rule = "SCH-1"


# --- reading ------------------------------------------------------------------------------------


async def get_practitioner(session: AsyncSession, practitioner_id: UUID) -> Practitioner:
    practitioner = await PractitionerRepository(session).get_full(practitioner_id)
    if practitioner is None:
        raise PractitionerNotFound()
    return practitioner


async def list_practitioners(
    session: AsyncSession,
    *,
    organization_id: UUID | None,
    branch_id: UUID | None,
    specialty: str | None,
    home_care: bool | None,
    limit: int,
    after: UUID | None,
) -> Sequence[Practitioner]:
    """SCH-1: active practitioners as published to patients, optionally by branch and specialty."""
    return await PractitionerRepository(session).page_active(
        organization_id=organization_id,
        branch_id=branch_id,
        specialty=specialty,
        home_care=home_care,
        limit=limit,
        after=after,
    )


async def list_shifts(
    session: AsyncSession, principal: Principal, practitioner_id: UUID, *, valid_on: date | None
) -> list[tuple[Shift, str]]:
    """The practitioner's weekly shifts with each branch's zone. Staff see only their own
    organization (404 otherwise) and, with `branch_ids` in the token, only those branches."""
    practitioner = await get_practitioner(session, practitioner_id)
    access.check_can_read_shifts(principal, practitioner)
    rows = await PractitionerRepository(session).shifts_with_zone(practitioner_id)
    return [
        (shift, zone)
        for shift, zone in rows
        if access.can_see_shift(principal, practitioner, shift)
        and (valid_on is None or as_weekly(shift).valid_on(valid_on))
    ]


def as_exception(row: ShiftExceptionRow) -> ShiftException:
    return ShiftException(
        id=row.id,
        day=row.day,
        kind=ExceptionKind(row.kind),
        branch_id=row.branch_id,
        starts=row.starts,
        ends=row.ends,
    )


def as_weekly(shift: Shift) -> WeeklyShift:
    return WeeklyShift(
        id=shift.id,
        branch_id=shift.branch_id,
        weekday=shift.weekday,
        starts=shift.starts,
        ends=shift.ends,
        valid_from=shift.valid_from,
        valid_to=shift.valid_to,
        works_on_holidays=shift.works_on_holidays,
    )


# --- events -------------------------------------------------------------------------------------


def practitioner_payload(p: Practitioner) -> PractitionerUpserted:
    return PractitionerUpserted(
        id=p.id,
        organization_id=p.organization_id,
        branch_ids=sorted(p.branch_ids, key=str),
        full_name=p.full_name,
        specialty=p.specialty,
        qualification=p.qualification,
        experience_years=p.experience_years,
        home_care=p.home_care,
        active=p.active,
    )


def shift_payload(shift: Shift, organization_id: UUID, time_zone: str) -> ShiftUpserted:
    return ShiftUpserted(
        id=shift.id,
        organization_id=organization_id,
        practitioner_id=shift.practitioner_id,
        branch_id=shift.branch_id,
        weekday=shift.weekday,
        starts=shift.starts,
        ends=shift.ends,
        valid_from=shift.valid_from,
        valid_to=shift.valid_to,
        works_on_holidays=shift.works_on_holidays,
        time_zone=time_zone,
    )


# --- writing ------------------------------------------------------------------------------------


async def upsert_practitioner(
    session: AsyncSession, outbox: Outbox, body: PractitionerUpsert, now: datetime
) -> Practitioner:
    """Create or update a practitioner (SCH-1) with visit lengths inside the policy range (SCH-2).

    Adds `practitioner.upserted` only when what consumers see changed."""
    try:
        org = await organizations.get_organization(session, body.organization_id)
    except OrganizationNotFound:
        raise UnknownEntity("organization", body.organization_id) from None
    today = organizations.local_today(org, now)
    current = organizations.in_force(org, today)
    if current is None:
        raise NoPolicyInForce()
    durations = {k.value: v for k, v in body.visit_durations.items()}
    check_visit_durations(durations, current.policy)
    own_branches = {b.id for b in org.branches}
    for branch_id in body.branch_ids:
        if branch_id not in own_branches:
            raise UnknownEntity("branch", branch_id)

    repo = PractitionerRepository(session)
    practitioner = await repo.get_full(body.id, for_update=True)
    before = practitioner_payload(practitioner) if practitioner is not None else None
    if practitioner is None:
        practitioner = Practitioner(id=body.id, organization_id=body.organization_id, branch_links=[])
        session.add(practitioner)
    elif practitioner.organization_id != body.organization_id:
        raise PractitionerOfAnotherOrganization()
    practitioner.full_name = body.full_name
    practitioner.specialty = body.specialty
    practitioner.qualification = body.qualification
    practitioner.experience_years = body.experience_years
    practitioner.certificates = [c.model_dump(mode="json") for c in body.certificates]
    practitioner.visit_durations = durations
    practitioner.home_care = body.home_care
    practitioner.active = body.active
    await _apply_branch_links(repo, practitioner, set(body.branch_ids))
    await session.flush()
    after = practitioner_payload(practitioner)
    if after != before:
        await outbox.add(
            session,
            type=type_of(PractitionerUpserted),
            aggregate_id=practitioner.id,
            org_id=practitioner.organization_id,
            now=now,
            data=after,
        )
    return practitioner


async def _apply_branch_links(
    repo: PractitionerRepository, practitioner: Practitioner, wanted: set[UUID]
) -> None:
    current = set(practitioner.branch_ids)
    removed = current - wanted
    if removed and any(s.branch_id in removed for s in await repo.shifts(practitioner.id)):
        raise BranchHasShifts()
    for link in [link for link in practitioner.branch_links if link.branch_id in removed]:
        practitioner.branch_links.remove(link)
    for branch_id in sorted(wanted - current, key=str):
        practitioner.branch_links.append(
            PractitionerBranch(practitioner_id=practitioner.id, branch_id=branch_id)
        )


async def upsert_shift(session: AsyncSession, outbox: Outbox, body: ShiftUpsert, now: datetime) -> Shift:
    """Create or update a weekly shift at one of the practitioner's branches (SCH-1), inside the
    branch's opening hours (SCH-5, ORG-2), not overlapping the practitioner's other shifts.

    Adds `shift.upserted` only when the shift changed."""
    repo = PractitionerRepository(session)
    practitioner = await repo.get_full(body.practitioner_id, for_update=True)  # serializes shift changes
    if practitioner is None:
        raise UnknownEntity("practitioner", body.practitioner_id)
    check_branch_assigned(body.branch_id, practitioner.branch_ids)
    branch = await OrganizationRepository(session).branch(body.branch_id)
    if branch is None:  # the link's foreign key makes this a broken invariant, not a client error
        raise UnknownEntity("branch", body.branch_id)
    weekly = WeeklyShift(
        id=body.id,
        branch_id=body.branch_id,
        weekday=body.weekday,
        starts=body.starts,
        ends=body.ends,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
        works_on_holidays=body.works_on_holidays,
    )
    check_shift_within_opening_hours(weekly, check_weekly_hours(organizations.hours_of(branch.opening_hours)))
    check_no_overlap(weekly, [as_weekly(s) for s in await repo.shifts(practitioner.id)])

    shift = await repo.shift(body.id)
    before = None
    if shift is None:
        shift = Shift(id=body.id, practitioner_id=body.practitioner_id)
        session.add(shift)
    elif shift.practitioner_id != body.practitioner_id:
        raise ShiftOfAnotherPractitioner()
    else:
        old_branch = await OrganizationRepository(session).branch(shift.branch_id)
        old_zone = old_branch.time_zone if old_branch else ""
        before = shift_payload(shift, practitioner.organization_id, old_zone)
    shift.branch_id = body.branch_id
    shift.weekday = body.weekday
    shift.starts = body.starts
    shift.ends = body.ends
    shift.valid_from = body.valid_from
    shift.valid_to = body.valid_to
    shift.works_on_holidays = body.works_on_holidays
    await session.flush()
    after = shift_payload(shift, practitioner.organization_id, branch.time_zone)
    if after != before:
        await outbox.add(
            session,
            type=type_of(ShiftUpserted),
            aggregate_id=shift.id,
            org_id=practitioner.organization_id,
            now=now,
            data=after,
        )
    return shift


# --- dated exceptions (SCH-1) ---------------------------------------------------------------------


async def list_exceptions(
    session: AsyncSession, principal: Principal, practitioner_id: UUID, first: date, last: date
) -> list[ShiftExceptionRow]:
    practitioner = await get_practitioner(session, practitioner_id)
    access.check_can_read_shifts(principal, practitioner)
    rows = await PractitionerRepository(session).exceptions(practitioner_id, first, last)
    return [r for r in rows if r.branch_id is None or access.can_see_shift(principal, practitioner, r)]


async def upsert_exception(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    practitioner_id: UUID,
    body: ShiftExceptionCreate,
    now: datetime,
) -> ShiftExceptionRow:
    """SCH-1, SCH-5: an extra stretch at one of the practitioner's branches, inside its opening
    hours and clear of the day's other work; or time off. Emits `shift_exception.upserted`."""
    repo = PractitionerRepository(session)
    practitioner = await repo.get_full(practitioner_id, for_update=True)
    if practitioner is None:
        raise PractitionerNotFound()
    access.check_can_act_for_practitioner(access.MANAGE_SHIFTS, principal, practitioner, body.branch_id)
    try:
        dated = ShiftException(
            id=body.id or uuid.uuid4(),
            day=body.day,
            kind=ExceptionKind(body.kind),
            branch_id=body.branch_id,
            starts=body.starts,
            ends=body.ends,
        )
    except ValueError as exc:
        raise InvalidShiftException(str(exc)) from None
    org = await organizations.get_organization(session, practitioner.organization_id)
    zone = org.time_zone
    if dated.kind is ExceptionKind.EXTRA and dated.branch_id is not None:
        check_branch_assigned(dated.branch_id, practitioner.branch_ids)
        branch = next(b for b in org.branches if b.id == dated.branch_id)
        zone = branch.time_zone
        weekly = WeeklyShift(
            id=dated.id,
            branch_id=dated.branch_id,
            weekday=dated.day.weekday(),
            starts=dated.starts or time(0),
            ends=dated.ends or time(0),
            valid_from=dated.day,
            valid_to=dated.day,
            works_on_holidays=True,
        )
        check_shift_within_opening_hours(
            weekly, check_weekly_hours(organizations.hours_of(branch.opening_hours))
        )
        others = [
            as_exception(e)
            for e in await repo.exceptions(practitioner.id, dated.day, dated.day)
            if e.id != dated.id
        ]
        busy = windows_on(
            dated.day,
            [as_weekly(s) for s in await repo.shifts(practitioner.id)],
            others,
            public_holiday=False,
        )
        for w in busy:
            if weekly.starts < w.ends and w.starts < weekly.ends:
                raise ShiftOverlaps(f"overlaps the day's work {w.starts:%H:%M}-{w.ends:%H:%M}")
    row = await session.get(ShiftExceptionRow, dated.id)
    if row is None:
        row = ShiftExceptionRow(id=dated.id, practitioner_id=practitioner.id)
        session.add(row)
    elif row.practitioner_id != practitioner.id:
        raise ShiftOfAnotherPractitioner()
    row.day, row.kind, row.branch_id = dated.day, dated.kind.value, dated.branch_id
    row.starts, row.ends, row.note = dated.starts, dated.ends, body.note
    await session.flush()
    await outbox.add(
        session,
        type=type_of(ShiftExceptionUpserted),
        aggregate_id=row.id,
        org_id=practitioner.organization_id,
        now=now,
        data=ShiftExceptionUpserted(
            id=row.id,
            organization_id=practitioner.organization_id,
            practitioner_id=practitioner.id,
            day=row.day,
            kind=row.kind,
            branch_id=row.branch_id,
            starts=row.starts,
            ends=row.ends,
            time_zone=zone,
        ),
    )
    return row
