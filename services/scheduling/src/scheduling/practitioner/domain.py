"""Practitioner and shift rules as plain Python (SCH-1, SCH-2, SCH-5).

No SQLAlchemy, no FastAPI: values in, decisions (or typed refusals) out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
