"""Appointment rules without a database: booking times (SCH-3), lateness tables of both presets at
their boundaries (SCH-7), the no-show cutoff, delays (SCH-8), ETags (api.md, Concurrency)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from scheduling.appointment.domain import (
    BookingLeadTime,
    DelayTooLong,
    Planned,
    StartInPast,
    check_start,
    delay,
    is_noshow,
    late_options,
    lateness_minutes,
)
from scheduling.organization.domain import O_PRESET, P_PRESET

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_SCH_3_a_start_in_the_past_or_inside_the_channels_lead_time_is_refused() -> None:
    with pytest.raises(StartInPast):
        check_start(NOW - timedelta(seconds=1), NOW, 0)
    with pytest.raises(BookingLeadTime):
        check_start(NOW + timedelta(minutes=59), NOW, 60)
    check_start(NOW + timedelta(minutes=60), NOW, 60)
    check_start(NOW, NOW, 0)  # the registry books up to the start
    check_start(NOW + timedelta(minutes=1), NOW, 60, emergency=True)  # emergency at once
    with pytest.raises(StartInPast):
        check_start(NOW - timedelta(minutes=1), NOW, 0, emergency=True)


def test_SCH_7_lateness_is_whole_minutes_after_the_expected_start() -> None:
    assert lateness_minutes(NOW, NOW - timedelta(minutes=5)) == 0
    assert lateness_minutes(NOW, NOW + timedelta(minutes=10, seconds=59)) == 10
    assert lateness_minutes(NOW, NOW + timedelta(minutes=11)) == 11


# SCH-7, O preset: any lateness -> serve, shorten; > 30 % of the length -> + reschedule;
# > 10 min -> + reschedule, cancel; > 15 min -> + refuse. Visit of 20 minutes: 30 % is 6.
O_TABLE_20 = {
    0: ["serve"],
    1: ["serve", "shorten"],
    6: ["serve", "shorten"],
    7: ["serve", "shorten", "reschedule"],
    10: ["serve", "shorten", "reschedule"],
    11: ["serve", "shorten", "reschedule", "cancel"],
    15: ["serve", "shorten", "reschedule", "cancel"],
    16: ["serve", "shorten", "reschedule", "cancel", "refuse"],
}
# Visit of 40 minutes: 30 % is 12, after the 10-minute tier.
O_TABLE_40 = {
    10: ["serve", "shorten"],
    11: ["serve", "shorten", "reschedule", "cancel"],
    12: ["serve", "shorten", "reschedule", "cancel"],
    13: ["serve", "shorten", "reschedule", "cancel"],
    15: ["serve", "shorten", "reschedule", "cancel"],
    16: ["serve", "shorten", "reschedule", "cancel", "refuse"],
}
# P preset: a late patient is offered another practitioner of the specialty or a later time.
P_TABLE_30 = {
    0: ["serve"],
    1: ["serve", "reschedule", "transfer"],
    9: ["serve", "reschedule", "transfer"],
    10: ["serve", "reschedule", "transfer"],
    11: ["serve", "reschedule", "transfer"],
    15: ["serve", "reschedule", "transfer"],
    16: ["serve", "reschedule", "transfer"],
    30: ["serve", "reschedule", "transfer"],
}


@pytest.mark.parametrize(
    ("policy", "visit", "table"),
    [(O_PRESET, 20, O_TABLE_20), (O_PRESET, 40, O_TABLE_40), (P_PRESET, 30, P_TABLE_30)],
    ids=["O-20min", "O-40min", "P-30min"],
)
def test_SCH_7_each_presets_lateness_table_at_its_boundaries(policy, visit, table) -> None:  # type: ignore[no-untyped-def]
    got = {late: [o.value for o in late_options(policy.lateness, late, visit)] for late in table}
    assert got == table


@pytest.mark.parametrize(("policy", "cutoff"), [(O_PRESET, 15), (P_PRESET, 30)], ids=["O", "P"])
def test_SCH_7_no_show_after_the_presets_cutoff(policy, cutoff) -> None:  # type: ignore[no-untyped-def]
    assert policy.lateness.no_show_after_minutes == cutoff
    assert not is_noshow(NOW, NOW + timedelta(minutes=cutoff), cutoff)
    assert is_noshow(NOW, NOW + timedelta(minutes=cutoff, seconds=1), cutoff)


def visits(*starts_and_lengths: tuple[int, int]) -> list[Planned]:
    return [
        Planned(
            uuid4(), NOW + timedelta(minutes=s), NOW + timedelta(minutes=s + n), NOW + timedelta(minutes=s)
        )
        for s, n in starts_and_lengths
    ]


def test_SCH_8_a_delay_moves_the_expected_start_of_following_visits_only() -> None:
    day = visits((0, 30), (30, 30), (60, 30), (120, 30))
    moved = delay(day, day[0].id, 20)
    assert [(m.id, m.delay_minutes) for m in moved] == [(day[0].id, 20), (day[1].id, 20), (day[2].id, 20)]
    assert all(m.start == v.start for m, v in zip(moved, day, strict=False))  # booked times stay
    # the gap before the 4th visit absorbs the delay: 60+20+30 = 110 < 120


def test_SCH_8_no_visit_is_pushed_past_60_minutes_by_a_walk_in_squeezed_before_it() -> None:
    walk_in, booked = visits((0, 40), (20, 30))  # a walk-in's time is not guarded by SCH-4
    moved = delay([walk_in, booked], walk_in.id, 60)
    assert [m.delay_minutes for m in moved] == [60, 60]  # not 80


def test_SCH_8_at_most_60_minutes_in_total() -> None:
    day = visits((0, 30), (30, 30))
    first = delay(day, day[0].id, 45)[0]
    with pytest.raises(DelayTooLong) as refused:
        delay([first, day[1]], first.id, 16)
    assert refused.value.extra["total_delay_minutes"] == 61
    assert delay([first, day[1]], first.id, 15)[0].delay_minutes == 60
