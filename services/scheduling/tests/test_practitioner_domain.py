"""Practitioner and shift rules without a database: SCH-1 (branches, no overlaps), SCH-2 (visit
lengths within the policy range), SCH-5 (inside opening hours, public holidays)."""

from __future__ import annotations

from datetime import date, time
from uuid import UUID, uuid4

import pytest

from clinic_common.calendar import P_OPENING_HOURS

from scheduling.organization.domain import O_PRESET, P_PRESET
from scheduling.practitioner.domain import (
    BranchNotAssigned,
    ShiftOutsideOpeningHours,
    ShiftOverlaps,
    VisitDurationMissing,
    VisitDurationOutOfRange,
    VisitType,
    WeeklyShift,
    check_branch_assigned,
    check_no_overlap,
    check_shift_within_opening_hours,
    check_visit_durations,
    works_on,
)

pytestmark = pytest.mark.unit

BRANCH = UUID("0b000000-0000-4000-8000-0000000000b1")
OTHER_BRANCH = UUID("0b000000-0000-4000-8000-0000000000b2")
FAR_PAST = date(2020, 1, 1)


def durations(**override: int) -> dict[str, int]:
    return {**{v.value: 20 for v in VisitType}, **override}


def shift(weekday: int, starts: time, ends: time, **kw: object) -> WeeklyShift:
    values: dict[str, object] = {
        "id": uuid4(),
        "branch_id": BRANCH,
        "weekday": weekday,
        "starts": starts,
        "ends": ends,
        "valid_from": FAR_PAST,
        **kw,
    }
    return WeeklyShift(**values)  # type: ignore[arg-type]


# --- SCH-2 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [15, 25, 40])
def test_SCH_2_visit_lengths_inside_15_to_40_pass(minutes: int) -> None:
    check_visit_durations(durations(first_consultation=minutes), O_PRESET)
    check_visit_durations(durations(repeat_examination=minutes), P_PRESET)


@pytest.mark.parametrize("minutes", [0, 14, 41, 90])
def test_SCH_2_visit_length_outside_the_policy_range_refused(minutes: int) -> None:
    with pytest.raises(VisitDurationOutOfRange) as err:
        check_visit_durations(durations(first_examination=minutes), O_PRESET)
    assert (err.value.code, err.value.rule, err.value.status) == ("visit_duration_out_of_range", "SCH-2", 422)
    assert err.value.extra["visit_type"] == "first_examination"


def test_SCH_2_the_range_is_the_organizations_policy() -> None:
    wider = O_PRESET.model_copy(update={"visit_minutes_max": 60})
    check_visit_durations(durations(first_consultation=55), wider)


def test_SCH_2_every_visit_type_needs_a_length() -> None:
    incomplete = durations()
    del incomplete["repeat_consultation"]
    with pytest.raises(VisitDurationMissing) as err:
        check_visit_durations(incomplete, O_PRESET)
    assert err.value.extra["missing"] == ["repeat_consultation"]
    with pytest.raises(VisitDurationMissing):
        check_visit_durations({**durations(), "surgery": 30}, O_PRESET)


# --- SCH-5 --------------------------------------------------------------------------------------


def test_SCH_5_shift_inside_P_11_1_opening_hours_passes() -> None:
    check_shift_within_opening_hours(shift(0, time(8, 0), time(21, 0)), P_OPENING_HOURS)  # the whole day
    check_shift_within_opening_hours(shift(5, time(8, 30), time(14, 0)), P_OPENING_HOURS)
    check_shift_within_opening_hours(shift(6, time(10, 0), time(18, 0)), P_OPENING_HOURS)


@pytest.mark.parametrize(
    ("weekday", "starts", "ends"),
    [
        (0, time(7, 30), time(12, 0)),  # before opening
        (0, time(15, 0), time(21, 30)),  # past closing
        (5, time(8, 0), time(12, 0)),  # Saturday opens at 08:30
        (6, time(12, 0), time(19, 0)),  # Sunday closes at 18:00
    ],
)
def test_SCH_5_shift_outside_opening_hours_refused(weekday: int, starts: time, ends: time) -> None:
    with pytest.raises(ShiftOutsideOpeningHours) as err:
        check_shift_within_opening_hours(shift(weekday, starts, ends), P_OPENING_HOURS)
    assert (err.value.code, err.value.rule) == ("shift_outside_opening_hours", "SCH-5")


def test_SCH_5_no_shift_on_a_closed_day() -> None:
    from scheduling.organization.domain import check_weekly_hours, daily

    weekdays_only = check_weekly_hours(daily(time(8, 0), time(20, 0), range(5)))
    with pytest.raises(ShiftOutsideOpeningHours) as err:
        check_shift_within_opening_hours(shift(6, time(10, 0), time(12, 0)), weekdays_only)
    assert "closed" in err.value.detail


def test_SCH_5_public_holiday_is_off_unless_the_shift_says_so() -> None:
    monday = shift(0, time(8, 0), time(14, 0))
    holiday_monday = date(2026, 1, 5)  # a Monday of the Russian New Year holidays
    assert works_on(monday, date(2026, 1, 12), public_holiday=False)
    assert not works_on(monday, holiday_monday, public_holiday=True)
    on_duty = shift(0, time(8, 0), time(14, 0), works_on_holidays=True)
    assert works_on(on_duty, holiday_monday, public_holiday=True)


def test_SCH_5_shift_applies_on_its_weekday_inside_its_validity() -> None:
    s = shift(2, time(8, 0), time(14, 0), valid_from=date(2026, 1, 1), valid_to=date(2026, 1, 31))
    assert works_on(s, date(2026, 1, 7), public_holiday=False)  # a Wednesday
    assert not works_on(s, date(2026, 1, 8), public_holiday=False)  # Thursday
    assert not works_on(s, date(2025, 12, 31), public_holiday=False)  # before valid_from
    assert works_on(s, date(2026, 1, 28), public_holiday=False)
    assert not works_on(s, date(2026, 2, 4), public_holiday=False)  # after valid_to


def test_SCH_1_shift_values_are_sane() -> None:
    with pytest.raises(ValueError, match="start before"):
        shift(0, time(14, 0), time(8, 0))
    with pytest.raises(ValueError, match="weekday"):
        shift(7, time(8, 0), time(9, 0))
    with pytest.raises(ValueError, match="valid_to"):
        shift(0, time(8, 0), time(9, 0), valid_to=date(2019, 1, 1))


# --- SCH-1 --------------------------------------------------------------------------------------


def test_SCH_1_shift_only_at_a_branch_the_practitioner_works_at() -> None:
    check_branch_assigned(BRANCH, [BRANCH, OTHER_BRANCH])
    with pytest.raises(BranchNotAssigned) as err:
        check_branch_assigned(OTHER_BRANCH, [BRANCH])
    assert (err.value.code, err.value.rule) == ("branch_not_assigned", "SCH-1")


def test_SCH_1_overlapping_shifts_of_one_practitioner_refused_whatever_the_branch() -> None:
    morning = shift(0, time(8, 0), time(14, 0))
    with pytest.raises(ShiftOverlaps) as err:
        check_no_overlap(shift(0, time(13, 0), time(18, 0), branch_id=OTHER_BRANCH), [morning])
    assert (err.value.code, err.value.status, err.value.rule) == ("shift_overlaps", 409, "SCH-1")


def test_SCH_1_adjacent_other_day_or_disjoint_period_shifts_pass() -> None:
    morning = shift(0, time(8, 0), time(14, 0), valid_to=date(2025, 12, 31))
    check_no_overlap(shift(0, time(14, 0), time(20, 0)), [morning])  # back to back
    check_no_overlap(shift(1, time(8, 0), time(14, 0)), [morning])  # another weekday
    check_no_overlap(shift(0, time(8, 0), time(14, 0), valid_from=date(2026, 1, 1)), [morning])
    check_no_overlap(morning, [morning])  # updating a shift does not clash with itself
