"""Practitioner and shift rules as plain Python (SCH-1, SCH-2, SCH-5).

The one shift concept: a practitioner works weekly shifts (`WeeklyShift`) changed by dated
exceptions (`ShiftException`: an extra working day, a day or hours off); `windows_on` turns them
into the working windows of one branch-local date, which both free slots and booking use.
No SQLAlchemy, no FastAPI: values in, decisions (or typed refusals) out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum
from uuid import UUID

from clinic_common.calendar import OpeningHours
from clinic_common.errors import AppError, Conflict, NotFound

from scheduling.organization.domain import Policy

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class VisitType(StrEnum):
    """SCH-2 (O 3.7): first or repeat, consultation or examination."""

    FIRST_CONSULTATION = "first_consultation"
    REPEAT_CONSULTATION = "repeat_consultation"
    FIRST_EXAMINATION = "first_examination"
    REPEAT_EXAMINATION = "repeat_examination"


# Catalogue categories (billing's `service.upserted`) a practitioner's visit type applies to.
EXAMINATION_CATEGORIES = frozenset({"examination", "instrumental"})
VISIT_CATEGORIES = frozenset({"consultation"}) | EXAMINATION_CATEGORIES


def default_visit_type(category: str) -> VisitType | None:
    """SCH-2: a first consultation or examination by the service's category; None for services
    that are not a practitioner's visit (sample collection, procedures), which keep the
    catalogue's duration."""
    if category in EXAMINATION_CATEGORIES:
        return VisitType.FIRST_EXAMINATION
    if category in VISIT_CATEGORIES:
        return VisitType.FIRST_CONSULTATION
    return None


def visit_minutes(durations: Mapping[str, int], visit_type: VisitType | None, catalogue_minutes: int) -> int:
    """SCH-2: a booking lasts the practitioner's length for the visit type; the catalogue's
    duration is only the default for services without one."""
    if visit_type is not None and visit_type.value in durations:
        return durations[visit_type.value]
    return catalogue_minutes


# --- errors -------------------------------------------------------------------------------------


class PractitionerNotFound(NotFound):
    code = "practitioner_not_found"
    title = "No such practitioner"


class VisitDurationOutOfRange(AppError):
    status = 422
    code = "visit_duration_out_of_range"
    title = "A visit length is outside the organization's range"
    rule = "SCH-2"


class VisitDurationMissing(AppError):
    status = 422
    code = "visit_duration_missing"
    title = "A practitioner needs a visit length for every visit type"
    rule = "SCH-2"


class ShiftOutsideOpeningHours(AppError):
    status = 422
    code = "shift_outside_opening_hours"
    title = "The shift is not inside the branch's opening hours"
    rule = "SCH-5"


class BranchNotAssigned(AppError):
    status = 422
    code = "branch_not_assigned"
    title = "The practitioner does not work at this branch"
    rule = "SCH-1"


class ShiftOverlaps(Conflict):
    code = "shift_overlaps"
    title = "The practitioner already has a shift at that time"
    rule = "SCH-1"


# --- visit lengths (SCH-2) ----------------------------------------------------------------------


def check_visit_durations(durations: Mapping[str, int], policy: Policy) -> None:
    """SCH-2: a length for each visit type, each within the policy's range (15-40 in both presets)."""
    missing = [v.value for v in VisitType if v.value not in durations]
    if missing:
        raise VisitDurationMissing(f"missing visit lengths: {', '.join(missing)}", missing=missing)
    unknown = sorted(set(durations) - {v.value for v in VisitType})
    if unknown:
        raise VisitDurationMissing(f"unknown visit types: {', '.join(unknown)}", unknown=unknown)
    for visit_type, minutes in durations.items():
        if not policy.visit_length_allowed(minutes):
            raise VisitDurationOutOfRange(
                f"{visit_type}: {minutes} minutes is outside "
                f"{policy.visit_minutes_min}-{policy.visit_minutes_max}",
                visit_type=visit_type,
                minutes=minutes,
                min_minutes=policy.visit_minutes_min,
                max_minutes=policy.visit_minutes_max,
            )


# --- shifts (SCH-1, SCH-5) ----------------------------------------------------------------------


@dataclass(frozen=True)
class WeeklyShift:
    """A weekly shift: on `weekday`, from `starts` to `ends` (branch-local, end exclusive), for
    the dates [valid_from, valid_to] (valid_to inclusive, None = open-ended)."""

    id: UUID
    branch_id: UUID
    weekday: int
    starts: time
    ends: time
    valid_from: date
    valid_to: date | None = None
    works_on_holidays: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError("weekday must be 0 (Monday) .. 6 (Sunday)")
        if not self.starts < self.ends:
            raise ValueError("a shift must start before it ends")
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to must not be before valid_from")

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def periods_intersect(self, other: WeeklyShift) -> bool:
        starts_before_other_ends = other.valid_to is None or self.valid_from <= other.valid_to
        other_starts_before_this_ends = self.valid_to is None or other.valid_from <= self.valid_to
        return starts_before_other_ends and other_starts_before_this_ends


def check_branch_assigned(branch_id: UUID, practitioner_branch_ids: Iterable[UUID]) -> None:
    """SCH-1: working shifts are per branch, at branches the practitioner works at."""
    if branch_id not in set(practitioner_branch_ids):
        raise BranchNotAssigned(branch_id=str(branch_id))


def check_shift_within_opening_hours(shift: WeeklyShift, hours: OpeningHours) -> None:
    """SCH-5 / ORG-2: a shift lies inside one opening interval of its weekday, so every bookable
    time of it is inside the branch's opening hours."""
    inside = any(i.open <= shift.starts and shift.ends <= i.close for i in hours.intervals(shift.weekday))
    if not inside:
        opening = ", ".join(f"{i.open:%H:%M}-{i.close:%H:%M}" for i in hours.intervals(shift.weekday))
        raise ShiftOutsideOpeningHours(
            f"{WEEKDAY_NAMES[shift.weekday]} {shift.starts:%H:%M}-{shift.ends:%H:%M} is outside "
            f"the branch's hours ({opening or 'closed'})",
            weekday=shift.weekday,
        )


def check_no_overlap(shift: WeeklyShift, others: Iterable[WeeklyShift]) -> None:
    """SCH-1: a practitioner works one shift at a time, whichever branch (same weekday, times
    and validity periods intersecting). The shift itself (same id) is ignored."""
    for other in others:
        if other.id == shift.id or other.weekday != shift.weekday:
            continue
        if shift.starts < other.ends and other.starts < shift.ends and shift.periods_intersect(other):
            raise ShiftOverlaps(
                f"overlaps shift {other.id} ({WEEKDAY_NAMES[other.weekday]} "
                f"{other.starts:%H:%M}-{other.ends:%H:%M})",
                shift_id=str(other.id),
            )


def works_on(shift: WeeklyShift, day: date, *, public_holiday: bool) -> bool:
    """SCH-5: does the shift apply on this branch-local date? Never on a public holiday of the
    organization's country unless the shift says so."""
    if day.weekday() != shift.weekday or not shift.valid_on(day):
        return False
    return shift.works_on_holidays or not public_holiday


# --- dated exceptions and the working windows of a day (SCH-1, SCH-5) ----------------------------


class ExceptionKind(StrEnum):
    EXTRA = "extra"  # an extra working stretch on that date, at a branch (a holiday too: it says so)
    DAY_OFF = "day_off"  # no work that date, or in `starts`-`ends` of it


@dataclass(frozen=True)
class ShiftException:
    """A dated change of the weekly pattern, in the branch-local wall-clock time of `day`."""

    id: UUID
    day: date
    kind: ExceptionKind
    branch_id: UUID | None = None
    starts: time | None = None
    ends: time | None = None

    def __post_init__(self) -> None:
        if (self.starts is None) != (self.ends is None):
            raise ValueError("an exception has both starts and ends, or neither")
        if self.starts is not None and self.ends is not None and not self.starts < self.ends:
            raise ValueError("an exception must start before it ends")
        if self.kind is ExceptionKind.EXTRA and (self.branch_id is None or self.starts is None):
            raise ValueError("an extra working stretch names its branch, starts and ends")


class InvalidShiftException(AppError):
    status = 422
    code = "invalid_shift_exception"
    title = "An extra day names its branch and hours; a day off at most its hours"
    rule = "SCH-1"


@dataclass(frozen=True, order=True)
class WorkWindow:
    """A stretch of one working date at one branch, branch-local, `ends` exclusive."""

    starts: time
    ends: time
    branch_id: UUID


def windows_on(
    day: date,
    shifts: Iterable[WeeklyShift],
    exceptions: Iterable[ShiftException],
    *,
    public_holiday: bool,
) -> list[WorkWindow]:
    """SCH-1, SCH-5: where and when the practitioner works on a branch-local date.

    The weekly shifts of the weekday valid that date (on a public holiday only those that say
    so), minus the date's days off (whole, or their hours), plus its extra stretches (which name
    the date, so they count on a holiday too). Sorted by start."""
    weekly = [
        WorkWindow(s.starts, s.ends, s.branch_id)
        for s in shifts
        if works_on(s, day, public_holiday=public_holiday)
    ]
    of_day = [e for e in exceptions if e.day == day]
    for off in (e for e in of_day if e.kind is ExceptionKind.DAY_OFF):
        if off.starts is None or off.ends is None:
            weekly = []
            break
        weekly = [piece for w in weekly for piece in _minus(w, off.starts, off.ends)]
    extra = [
        WorkWindow(e.starts, e.ends, e.branch_id)
        for e in of_day
        if e.kind is ExceptionKind.EXTRA and e.starts is not None and e.ends is not None and e.branch_id
    ]
    return sorted([*weekly, *extra])


def _minus(w: WorkWindow, starts: time, ends: time) -> list[WorkWindow]:
    pieces = []
    if w.starts < starts:
        pieces.append(WorkWindow(w.starts, min(w.ends, starts), w.branch_id))
    if ends < w.ends:
        pieces.append(WorkWindow(max(w.starts, ends), w.ends, w.branch_id))
    return [p for p in pieces if p.starts < p.ends]


def within_opening_hours(
    windows: Sequence[WorkWindow], hours: Mapping[UUID, OpeningHours], weekday: int
) -> list[WorkWindow]:
    """SCH-5: the parts of the windows inside their branch's opening hours that weekday."""
    clipped: list[WorkWindow] = []
    for w in windows:
        branch_hours = hours.get(w.branch_id)
        if branch_hours is None:
            continue
        for i in branch_hours.intervals(weekday):
            starts, ends = max(w.starts, i.open), min(w.ends, i.close)
            if starts < ends:
                clipped.append(WorkWindow(starts, ends, w.branch_id))
    return sorted(clipped)
