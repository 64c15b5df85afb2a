"""Appointment rules as plain Python: booking times (SCH-3), lifecycle (SCH-7, SCH-12), lateness
(SCH-7), delays (SCH-8) and the ETag of optimistic concurrency (api.md, Concurrency)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from clinic_common.errors import AppError, Conflict, NotFound

from scheduling.organization.domain import LatenessOption, LatenessPolicy

MAX_TOTAL_DELAY_MINUTES = 60  # SCH-8, O 3.7


class Status(StrEnum):
    """FHIR Appointment codes (api.md)."""

    BOOKED = "booked"
    ARRIVED = "arrived"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    NOSHOW = "noshow"


class Kind(StrEnum):
    BOOKED = "booked"  # by appointment (SCH-3)
    WALK_IN = "walk_in"  # served without one when the registry agrees (O 3.7)
    EMERGENCY = "emergency"  # at once (P 6.3)


class CancelReason(StrEnum):
    PATIENT = "patient"
    CLINIC = "clinic"
    ABSENCE = "absence"
    LATE_REFUSED = "late_refused"
    NOSHOW = "noshow"


# --- errors -------------------------------------------------------------------------------------


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


class AppointmentNotFound(NotFound):
    code = "appointment_not_found"
    title = "No such appointment"


class StartInPast(AppError):
    status = 422
    code = "start_in_past"
    title = "The visit would start in the past"
    rule = "SCH-3"


class BookingLeadTime(AppError):
    status = 422
    code = "booking_lead_time"
    title = "Too little notice for a booking through this channel"
    rule = "SCH-3"


class VisitTypeNotOffered(AppError):
    status = 422
    code = "visit_type_not_offered"
    title = "The practitioner has no length for this visit type"
    rule = "SCH-2"


class NotChangeable(Conflict):
    code = "not_changeable"
    title = "Only a booked visit can be cancelled or moved"
    rule = "SCH-12"


class NotCheckinable(Conflict):
    code = "not_checkinable"
    title = "Only a booked visit can be checked in"
    rule = "SCH-7"


class OptionNotOffered(AppError):
    status = 422
    code = "option_not_offered"
    title = "This option was not offered for the patient's lateness"
    rule = "SCH-7"


class NoLatenessDecision(Conflict):
    code = "no_lateness_decision"
    title = "The visit is not waiting for a decision on a late arrival"
    rule = "SCH-7"


class NotInProgress(Conflict):
    code = "not_in_progress"
    title = "The visit has not been called in, so it cannot be closed"
    rule = "SCH-14"


class DelayTooLong(AppError):
    status = 422
    code = "delay_too_long"
    title = f"A visit is delayed by at most {MAX_TOTAL_DELAY_MINUTES} minutes in total"
    rule = "SCH-8"


class NotDelayable(Conflict):
    code = "not_delayable"
    title = "Only a booked or waiting visit can be delayed"
    rule = "SCH-8"


class TransferNeedsSameSpecialty(AppError):
    status = 422
    code = "transfer_specialty_mismatch"
    title = "A late patient is transferred to a practitioner of the same specialty"
    rule = "SCH-7"


class LateOptionNeedsTime(AppError):
    status = 422
    code = "late_option_needs_time"
    title = "Reschedule and transfer need the new `start` (and transfer a `practitioner_id`)"
    rule = "SCH-7"


# --- booking times (SCH-3) ----------------------------------------------------------------------


def check_start(start: datetime, now: datetime, lead_minutes: int, *, emergency: bool = False) -> None:
    """SCH-3: never in the past; with at least the channel's lead time (emergency: at once)."""
    if start < now:
        raise StartInPast(now=now.isoformat())
    if not emergency and start < now + timedelta(minutes=lead_minutes):
        raise BookingLeadTime(
            earliest=(now + timedelta(minutes=lead_minutes)).isoformat(), lead_minutes=lead_minutes
        )


# --- lifecycle ----------------------------------------------------------------------------------


def check_changeable(status: str) -> None:
    """SCH-12: a booked visit is cancelled or moved from any channel."""
    if status != Status.BOOKED:
        raise NotChangeable(current_status=status)


def check_checkinable(status: str) -> None:
    if status != Status.BOOKED:
        raise NotCheckinable(current_status=status)


def lateness_minutes(expected_start: datetime, arrived_at: datetime) -> int:
    """SCH-7: whole minutes after the expected start (a delay moves it, SCH-8); 0 when on time."""
    return max(0, math.floor((arrived_at - expected_start).total_seconds() / 60))


def late_options(policy: LatenessPolicy, lateness: int, visit_minutes: int) -> tuple[LatenessOption, ...]:
    """SCH-7: what check-in offers; `serve` alone when on time."""
    return policy.options(lateness, visit_minutes)


def check_option(option: LatenessOption, offered: Sequence[str]) -> None:
    if option.value not in offered:
        raise OptionNotOffered(option=option.value, offered=list(offered))


def is_noshow(expected_start: datetime, now: datetime, cutoff_minutes: int) -> bool:
    """SCH-7 (O 6.1.14): not arrived by the policy's cutoff after the (expected) start."""
    return now > expected_start + timedelta(minutes=cutoff_minutes)


# --- delays (SCH-8) -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    """One active visit of a practitioner's day, for the delay cascade."""

    id: UUID
    start: datetime
    end: datetime
    expected_start: datetime

    @property
    def expected_end(self) -> datetime:
        return self.expected_start + (self.end - self.start)

    @property
    def delay_minutes(self) -> int:
        return int((self.expected_start - self.start).total_seconds() // 60)


def delay(visits: Sequence[Planned], target: UUID, minutes: int) -> list[Planned]:
    """SCH-8: delay `target` by `minutes` more (at most 60 in total) and push the expected start
    of every later visit of the day past the one before it; booked times stay. Returns the
    visits whose expected start moved, target first."""
    ordered = sorted(visits, key=lambda v: v.start)
    index = next(i for i, v in enumerate(ordered) if v.id == target)
    current = ordered[index]
    total = current.delay_minutes + minutes
    if total > MAX_TOTAL_DELAY_MINUTES:
        raise DelayTooLong(
            total_delay_minutes=total,
            already_delayed_minutes=current.delay_minutes,
            max_total_minutes=MAX_TOTAL_DELAY_MINUTES,
        )
    moved = [replace(current, expected_start=current.start + timedelta(minutes=total))]
    previous = moved[0]
    for visit in ordered[index + 1 :]:
        # Booked visits never overlap (SCH-4), so a delay passed on is never longer than this
        # one; a walk-in squeezed between them could make it so, and no visit waits past 60.
        cap = visit.start + timedelta(minutes=MAX_TOTAL_DELAY_MINUTES)
        expected = min(max(visit.expected_start, previous.expected_end), max(cap, visit.expected_start))
        if expected == visit.expected_start:
            break  # a gap absorbed the delay: nothing later moves
        previous = replace(visit, expected_start=expected)
        moved.append(previous)
    return moved
