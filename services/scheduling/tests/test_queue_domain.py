"""The calling order of the electronic queue (SCH-14) without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from scheduling.organization.domain import P_PRESET
from scheduling.queue.domain import Group, QueueEmpty, Waiting, arrival_group, calling_order, next_to_call

pytestmark = pytest.mark.unit

T = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def w(number: int, group: Group, appointment_min: int | None, arrived_min: int) -> Waiting:
    start = T + timedelta(minutes=appointment_min) if appointment_min is not None else None
    return Waiting(uuid4(), number, group, start, T + timedelta(minutes=arrived_min))


def test_SCH_14_groups_then_appointment_time_then_arrival() -> None:
    on_time_late_slot = w(1, Group.ON_TIME, 30, -5)
    on_time_early_slot = w(2, Group.ON_TIME, 0, -1)
    late = w(3, Group.OTHER, 0, 20)
    walk_in_early = w(4, Group.OTHER, None, 5)
    returning = w(5, Group.RETURNING, 60, 40)
    emergency = w(6, Group.EMERGENCY, None, 45)
    same_slot_later_arrival = w(7, Group.ON_TIME, 0, -0)
    order = calling_order(
        [
            on_time_late_slot,
            on_time_early_slot,
            late,
            walk_in_early,
            returning,
            emergency,
            same_slot_later_arrival,
        ],
        P_PRESET.queue_priority,
        electronic_queue=True,
    )
    assert [x.number for x in order] == [6, 5, 2, 7, 1, 4, 3]  # the others by arrival: walk-in 5', late 20'


def test_SCH_14_the_group_order_is_policy() -> None:
    policy = ("returning", "emergency", "other", "on_time")
    order = calling_order(
        [w(1, Group.ON_TIME, 0, 0), w(2, Group.OTHER, None, 1), w(3, Group.EMERGENCY, None, 2)],
        policy,
        electronic_queue=True,
    )
    assert [x.number for x in order] == [3, 2, 1]


def test_SCH_14_without_the_electronic_queue_by_appointment_time_emergency_still_first() -> None:
    entries = [
        w(1, Group.RETURNING, 60, 0),
        w(2, Group.OTHER, 0, 20),
        w(3, Group.ON_TIME, 30, 0),
        w(4, Group.EMERGENCY, None, 50),
    ]
    order = calling_order(entries, P_PRESET.queue_priority, electronic_queue=False)
    assert [x.number for x in order] == [4, 2, 3, 1]


def test_SCH_14_arrival_groups_and_an_empty_queue() -> None:
    assert arrival_group(emergency=True, returning=False, late=True, booked=False) is Group.EMERGENCY
    assert arrival_group(emergency=False, returning=True, late=True, booked=True) is Group.RETURNING
    assert arrival_group(emergency=False, returning=False, late=False, booked=True) is Group.ON_TIME
    assert arrival_group(emergency=False, returning=False, late=True, booked=True) is Group.OTHER
    assert arrival_group(emergency=False, returning=False, late=False, booked=False) is Group.OTHER
    with pytest.raises(QueueEmpty):
        next_to_call([], P_PRESET.queue_priority, electronic_queue=True)
