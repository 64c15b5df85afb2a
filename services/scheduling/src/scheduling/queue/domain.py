"""The electronic queue as plain Python (SCH-14, SCH-8).

The calling order of SCH-14 (P 6.7; the order of the groups is policy, emergency first by
default): patients called on emergency indications; patients returning the same day after extra
procedures this practitioner ordered; patients who arrived on time for their appointment; then
the others (late, walk-in) by arrival. Within a group, by appointment time, then arrival. A branch
without the electronic queue serves by appointment time (P 6.5), emergency care still at once
(P 6.3, SCH-3).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from clinic_common.errors import AppError, Conflict, NotFound


class Group(StrEnum):
    EMERGENCY = "emergency"
    RETURNING = "returning"
    ON_TIME = "on_time"
    OTHER = "other"


class EntryStatus(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    IN_ROOM = "in_room"
    DONE = "done"


class OutOfTurnReason(StrEnum):
    """SCH-8 (O 3.7, O 5.2.8): why a patient is taken out of turn."""

    EMERGENCY = "emergency"
    SEVERE_CONDITION = "severe_condition"
    ACUTE_SYMPTOMS = "acute_symptoms"
    RESPIRATORY_INFECTION = "respiratory_infection"


class QueueEmpty(Conflict):
    code = "queue_empty"
    title = "Nobody is waiting for this practitioner"
    rule = "SCH-14"


class QueueEntryNotFound(NotFound):
    code = "queue_entry_not_found"
    title = "No such patient in this practitioner's queue"


class BranchNotFound(NotFound):
    code = "branch_not_found"
    title = "No such branch"


class NotWaiting(Conflict):
    code = "not_waiting"
    title = "The patient is not waiting in the queue"
    rule = "SCH-14"


class NotCalled(Conflict):
    code = "not_called"
    title = "The patient enters the room only when called"
    rule = "SCH-14"


class NotEmergencyReason(AppError):
    status = 422
    code = "out_of_turn_reason_required"
    title = "A patient is taken out of turn only for a severe, acute or infectious case"
    rule = "SCH-8"


def arrival_group(*, emergency: bool, returning: bool, late: bool, booked: bool) -> Group:
    """SCH-14: the group a checked-in patient waits in."""
    if emergency:
        return Group.EMERGENCY
    if returning:
        return Group.RETURNING
    if booked and not late:
        return Group.ON_TIME
    return Group.OTHER


def check_enters(status: str) -> None:
    """SCH-14 (O 3.15): the patient enters only when called; a waiting, entered or finished one
    does not (again)."""
    if status != EntryStatus.CALLED:
        raise NotCalled(current_status=status)


@dataclass(frozen=True)
class Waiting:
    id: UUID
    number: int
    group: Group
    appointment_start: datetime | None
    arrived_at: datetime


def calling_order(
    entries: Iterable[Waiting], priority: Sequence[str], *, electronic_queue: bool
) -> list[Waiting]:
    """SCH-14: the waiting patients in the order they are called."""
    if not electronic_queue:

        def by_time(e: Waiting) -> tuple[int, datetime, datetime, int]:
            urgent = 0 if e.group is Group.EMERGENCY else 1
            return (urgent, e.appointment_start or e.arrived_at, e.arrived_at, e.number)

        return sorted(entries, key=by_time)
    rank = {group: i for i, group in enumerate(priority)}

    def by_group(e: Waiting) -> tuple[int, datetime, datetime, int]:
        if e.group is Group.OTHER:  # "then the others (late, walk-in) by arrival"
            return (rank[e.group], e.arrived_at, e.arrived_at, e.number)
        return (rank[e.group], e.appointment_start or e.arrived_at, e.arrived_at, e.number)

    return sorted(entries, key=by_group)


def next_to_call(entries: Iterable[Waiting], priority: Sequence[str], *, electronic_queue: bool) -> Waiting:
    order = calling_order(entries, priority, electronic_queue=electronic_queue)
    if not order:
        raise QueueEmpty()
    return order[0]
