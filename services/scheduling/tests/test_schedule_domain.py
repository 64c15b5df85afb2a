"""Working windows and free time without a database: the one shift concept (weekly shifts with
dated exceptions), opening hours, holidays, the grid of visits (SCH-1, SCH-2, SCH-5, SCH-8, SCH-11)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from uuid import uuid4

import pytest

from clinic_common.calendar import OpeningHours, OpeningInterval

from scheduling.practitioner.domain import (
    ExceptionKind,
    ShiftException,
    VisitType,
    WeeklyShift,
    WorkWindow,
    default_visit_type,
    visit_minutes,
    windows_on,
    within_opening_hours,
)
from scheduling.schedule.domain import (
    Busy,
    OutsideWorkingHours,
    PeriodTooLong,
    Span,
    StartNotAligned,
    Window,
    free_spans,
    period_days,
    place,
    to_instants,
)

pytestmark = pytest.mark.unit

BRANCH, OTHER = uuid4(), uuid4()
MONDAY = date(2026, 11, 23)
MORNING = WeeklyShift(uuid4(), BRANCH, 0, time(8), time(14), date(2020, 1, 1))


def at(h: int, m: int = 0, day: date = MONDAY) -> datetime:
    return datetime.combine(day, time(h, m), UTC)


def test_SCH_1_weekly_shift_applies_on_its_weekday_within_its_validity() -> None:
    assert windows_on(MONDAY, [MORNING], [], public_holiday=False) == [WorkWindow(time(8), time(14), BRANCH)]
    assert windows_on(MONDAY + timedelta(days=1), [MORNING], [], public_holiday=False) == []
    ended = WeeklyShift(uuid4(), BRANCH, 0, time(8), time(14), date(2020, 1, 1), valid_to=date(2026, 11, 22))
    assert windows_on(MONDAY, [ended], [], public_holiday=False) == []


def test_SCH_5_no_work_on_a_public_holiday_unless_the_shift_says_so() -> None:
    assert windows_on(MONDAY, [MORNING], [], public_holiday=True) == []
    holiday_shift = WeeklyShift(
        uuid4(), BRANCH, 0, time(9), time(12), date(2020, 1, 1), works_on_holidays=True
    )
    assert windows_on(MONDAY, [MORNING, holiday_shift], [], public_holiday=True) == [
        WorkWindow(time(9), time(12), BRANCH)
    ]


def test_SCH_1_a_day_off_removes_the_day_or_its_hours() -> None:
    whole = ShiftException(uuid4(), MONDAY, ExceptionKind.DAY_OFF)
    assert windows_on(MONDAY, [MORNING], [whole], public_holiday=False) == []
    hours = ShiftException(uuid4(), MONDAY, ExceptionKind.DAY_OFF, starts=time(10), ends=time(11))
    assert windows_on(MONDAY, [MORNING], [hours], public_holiday=False) == [
        WorkWindow(time(8), time(10), BRANCH),
        WorkWindow(time(11), time(14), BRANCH),
    ]
    other_day = ShiftException(uuid4(), MONDAY + timedelta(days=7), ExceptionKind.DAY_OFF)
    assert windows_on(MONDAY, [MORNING], [other_day], public_holiday=False) == [
        WorkWindow(time(8), time(14), BRANCH)
    ]


def test_SCH_1_an_extra_day_adds_work_also_on_a_holiday_since_it_names_the_date() -> None:
    extra = ShiftException(
        uuid4(), MONDAY, ExceptionKind.EXTRA, branch_id=OTHER, starts=time(15), ends=time(18)
    )
    assert windows_on(MONDAY, [MORNING], [extra], public_holiday=True) == [
        WorkWindow(time(15), time(18), OTHER)
    ]
    assert windows_on(MONDAY, [], [extra], public_holiday=False) == [WorkWindow(time(15), time(18), OTHER)]
    with pytest.raises(ValueError):
        ShiftException(uuid4(), MONDAY, ExceptionKind.EXTRA, starts=time(15), ends=time(18))  # no branch


def test_SCH_5_windows_are_clipped_to_opening_hours() -> None:
    hours = OpeningHours(days={0: (OpeningInterval(open=time(9), close=time(13)),)})
    clipped = within_opening_hours([WorkWindow(time(8), time(14), BRANCH)], {BRANCH: hours}, 0)
    assert clipped == [WorkWindow(time(9), time(13), BRANCH)]
    assert within_opening_hours([WorkWindow(time(8), time(14), BRANCH)], {BRANCH: hours}, 1) == []


def test_ORG_1_windows_become_instants_in_the_branch_zone() -> None:
    (w,) = to_instants(MONDAY, [WorkWindow(time(23), time(23, 59), BRANCH)], "Asia/Almaty")
    assert w.span.start == datetime(2026, 11, 23, 18, 0, tzinfo=UTC)  # 23:00 +05:00
    (m,) = to_instants(MONDAY, [WorkWindow(time(23), time(23, 59), BRANCH)], "Europe/Moscow")
    assert m.span.start == datetime(2026, 11, 23, 20, 0, tzinfo=UTC)


WINDOW = Window(BRANCH, Span(at(8), at(10)))


def test_SCH_2_free_slots_are_the_grid_of_the_visit_length() -> None:
    spans = [s for _, s in free_spans([WINDOW], timedelta(minutes=30), Busy([]), at(0))]
    assert [s.start for s in spans] == [at(8), at(8, 30), at(9), at(9, 30)]
    forty = [s.start for _, s in free_spans([WINDOW], timedelta(minutes=40), Busy([]), at(0))]
    assert forty == [at(8), at(8, 40), at(9, 20)]  # 9:20-10:00 is the last that fits


def test_SCH_8_SCH_11_busy_time_and_lead_time_remove_slots() -> None:
    busy = Busy([Span(at(8, 30), at(9)), Span(at(8, 50), at(9, 10))])  # overlapping spans merge
    assert busy.spans == [Span(at(8, 30), at(9, 10))]
    spans = [s.start for _, s in free_spans([WINDOW], timedelta(minutes=30), busy, at(0))]
    assert spans == [at(8), at(9, 30)]
    later = [s.start for _, s in free_spans([WINDOW], timedelta(minutes=30), Busy([]), at(8, 1))]
    assert later == [at(8, 30), at(9), at(9, 30)]
    assert not Busy([Span(at(8), at(8, 30))]).overlaps(Span(at(8, 30), at(9)))  # back to back


def test_SCH_2_SCH_5_a_booking_lies_on_the_grid_inside_one_window() -> None:
    assert place(Span(at(9), at(9, 30)), [WINDOW]) == BRANCH
    with pytest.raises(StartNotAligned):
        place(Span(at(9, 10), at(9, 40)), [WINDOW])
    with pytest.raises(OutsideWorkingHours):
        place(Span(at(9, 45), at(10, 15)), [WINDOW])  # runs past the end
    with pytest.raises(OutsideWorkingHours):
        place(Span(at(7, 30), at(8)), [WINDOW])


def test_SCH_2_length_from_the_practitioners_visit_type_catalogue_only_a_default() -> None:
    durations = {
        "first_consultation": 30,
        "repeat_consultation": 20,
        "first_examination": 40,
        "repeat_examination": 25,
    }
    assert default_visit_type("consultation") is VisitType.FIRST_CONSULTATION
    assert default_visit_type("instrumental") is VisitType.FIRST_EXAMINATION
    assert default_visit_type("sample_collection") is None
    assert visit_minutes(durations, VisitType.REPEAT_CONSULTATION, 45) == 20
    assert visit_minutes(durations, None, 15) == 15


def test_slot_search_periods_are_bounded() -> None:
    assert len(period_days(MONDAY, MONDAY + timedelta(days=30))) == 31
    with pytest.raises(PeriodTooLong):
        period_days(MONDAY, MONDAY + timedelta(days=31))
