"""Booking rules as plain Python (SCH-4, SCH-5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from uuid import UUID

from clinic_common.calendar import OpeningHours
from clinic_common.errors import AppError


class SlotTaken(AppError):
    status = 409
    code = "slot_taken"
    title = "The practitioner already has a visit at this time"
    rule = "SCH-4"


class PatientBusy(AppError):
    status = 409
    code = "patient_busy"
    title = "The patient already has a visit at this time"
    rule = "SCH-4"


class OutsideWorkingHours(AppError):
    status = 422
    code = "outside_working_hours"
    title = "The time is outside the branch's opening hours or the practitioner's shift"
    rule = "SCH-5"


class AppointmentNotFound(AppError):
    status = 404
    code = "appointment_not_found"
    title = "No such appointment"


class PractitionerUnavailable(AppError):
    status = 404
    code = "practitioner_not_found"
    title = "No such practitioner"


@dataclass(frozen=True)
class ShiftWindow:
    branch_id: UUID
    weekday: int
    starts: time
    ends: time
    valid_from: date
    valid_to: date | None
    works_on_holidays: bool

    def covers(self, local_start: datetime, local_end: datetime) -> bool:
        day = local_start.date()
        return (
            local_start.weekday() == self.weekday
            and local_end.date() == day
            and self.valid_from <= day
            and (self.valid_to is None or day <= self.valid_to)
            and self.starts <= local_start.time()
            and local_end.time() <= self.ends
        )


def place_visit(
    local_start: datetime,
    local_end: datetime,
    shifts: Sequence[ShiftWindow],
    opening_hours: dict[UUID, OpeningHours],
    public_holiday: bool,
) -> UUID:
    """SCH-5: the branch whose shift and opening hours hold the whole visit; holidays only by shift.

    Returns the branch id; raises OutsideWorkingHours when no shift of the practitioner fits.
    """
    for shift in shifts:
        if not shift.covers(local_start, local_end):
            continue
        if public_holiday and not shift.works_on_holidays:
            continue
        hours = opening_hours.get(shift.branch_id)
        if hours is not None and hours.contains(local_start, local_end):
            return shift.branch_id
    if public_holiday:
        raise OutsideWorkingHours("The organization does not work on this public holiday", holiday=True)
    raise OutsideWorkingHours()
