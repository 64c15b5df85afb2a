"""Calendar rules against the production calendars as the installed `holidays` data has them."""

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from pydantic import ValidationError

from clinic_common.calendar import (
    DEFAULT_TIME_ZONES,
    P_OPENING_HOURS,
    Country,
    InstantOutOfRange,
    OpeningHours,
    OpeningInterval,
    add_working_days,
    country_holidays,
    is_working_day,
    local_date,
    local_to_utc,
    next_working_day,
    to_local,
    working_days_between,
)

pytestmark = pytest.mark.unit

RU, KZ = Country.RU, Country.KZ


# --- holidays and working days (ORG-1, ORG-4) -------------------------------------------------


def test_org1_ru_2025_november_transfer() -> None:
    # Saturday 1 Nov 2025 is worked; Monday 3 Nov is the day off it was swapped for; 4 Nov is Unity Day.
    assert date(2025, 11, 1).weekday() == 5
    assert is_working_day(RU, date(2025, 11, 1))
    assert not is_working_day(RU, date(2025, 11, 2))
    assert not is_working_day(RU, date(2025, 11, 3))
    assert not is_working_day(RU, date(2025, 11, 4))
    assert is_working_day(RU, date(2025, 11, 5))


def test_org1_ru_new_year_holidays_2026() -> None:
    for day in range(1, 10):  # 1-8 Jan holidays, 9 Jan transferred from Saturday 3 Jan
        assert not is_working_day(RU, date(2026, 1, day)), day
    assert is_working_day(RU, date(2026, 1, 12))
    assert not is_working_day(RU, date(2025, 12, 31))  # transferred from 5 Jan 2025


def test_org1_kz_2026_nauryz_and_other_holidays() -> None:
    holidays_2026 = country_holidays(KZ, 2026)
    for day in (21, 22, 23):
        assert date(2026, 3, day) in holidays_2026
    # 21-22 March fall on a weekend, so 24-25 March are days off too.
    for day in (23, 24, 25):
        assert not is_working_day(KZ, date(2026, 3, day)), day
    assert is_working_day(KZ, date(2026, 3, 26))
    assert not is_working_day(KZ, date(2026, 12, 16))  # Independence Day
    assert not is_working_day(KZ, date(2026, 7, 6))  # Capital Day
    assert is_working_day(KZ, date(2026, 11, 4))  # RU's Unity Day means nothing in KZ


def test_org1_kz_2025_sunday_made_working_day() -> None:
    # KZ 2025: Friday 3 Jan off, worked on Sunday 5 Jan instead.
    assert date(2025, 1, 5).weekday() == 6
    assert is_working_day(KZ, date(2025, 1, 5))
    assert not is_working_day(KZ, date(2025, 1, 3))
    assert date(2025, 1, 5) in country_holidays(KZ, [2025]).weekend_workdays


def test_country_holidays_accepts_several_years() -> None:
    both = country_holidays(RU, [2025, 2026])
    assert date(2025, 6, 12) in both
    assert date(2026, 6, 12) in both


def test_org4_add_working_days_across_ru_new_year() -> None:
    # Tue 30 Dec 2025 -> 31 Dec and 1-11 Jan are off -> 12, 13, 14 Jan.
    assert add_working_days(RU, date(2025, 12, 30), 1) == date(2026, 1, 12)
    assert add_working_days(RU, date(2025, 12, 30), 3) == date(2026, 1, 14)
    # "Within 10 working days" of 25 Dec 2025 (Thu): 26, 29, 30 Dec, 12-16, 19, 20 Jan.
    assert add_working_days(RU, date(2025, 12, 25), 10) == date(2026, 1, 20)


def test_org4_add_working_days_across_ru_transferred_saturday() -> None:
    # Fri 31 Oct 2025 -> Sat 1 Nov counts, then 3-4 Nov are off -> Wed 5 Nov.
    assert add_working_days(RU, date(2025, 10, 31), 1) == date(2025, 11, 1)
    assert add_working_days(RU, date(2025, 10, 31), 2) == date(2025, 11, 5)


def test_org4_add_working_days_across_kz_nauryz() -> None:
    assert add_working_days(KZ, date(2026, 3, 20), 1) == date(2026, 3, 26)


def test_org4_add_zero_working_days() -> None:
    assert add_working_days(RU, date(2026, 1, 12), 0) == date(2026, 1, 12)
    assert add_working_days(RU, date(2026, 1, 3), 0) == date(2026, 1, 12)
    with pytest.raises(ValueError, match="negative"):
        add_working_days(RU, date(2026, 1, 12), -1)


def test_org4_working_days_between_is_inverse_of_add() -> None:
    start = date(2025, 12, 25)
    for n in range(1, 15):
        assert working_days_between(RU, start, add_working_days(RU, start, n)) == n
    assert working_days_between(RU, start, start) == 0
    assert working_days_between(RU, date(2026, 1, 20), start) == -10
    assert working_days_between(RU, date(2025, 12, 31), date(2026, 1, 11)) == 0


def test_next_working_day() -> None:
    assert next_working_day(RU, date(2025, 10, 31)) == date(2025, 11, 1)
    assert next_working_day(RU, date(2025, 11, 1)) == date(2025, 11, 5)
    assert next_working_day(KZ, date(2026, 3, 20)) == date(2026, 3, 26)


def test_working_day_functions_refuse_datetimes() -> None:
    with pytest.raises(TypeError, match="local_date"):
        is_working_day(RU, datetime(2026, 1, 12, 10, tzinfo=UTC))


# --- time zones (ORG-1) -----------------------------------------------------------------------


def test_org1_default_time_zones() -> None:
    assert DEFAULT_TIME_ZONES[KZ] == "Asia/Almaty"
    assert DEFAULT_TIME_ZONES[RU] == "Europe/Moscow"


def test_org1_local_date_differs_from_utc_date() -> None:
    instant = datetime(2025, 12, 31, 21, 30, tzinfo=UTC)
    assert local_date(instant, "Europe/Moscow") == date(2026, 1, 1)
    assert to_local(instant, "Europe/Moscow").hour == 0
    assert local_date(instant, "UTC") == date(2025, 12, 31)


def test_org1_almaty_is_utc_plus_5_since_2024() -> None:
    local = to_local(datetime(2026, 3, 2, 3, 0, tzinfo=UTC), "Asia/Almaty")
    assert local.utcoffset() == timedelta(hours=5)
    assert local.hour == 8


def test_org1_local_to_utc() -> None:
    assert local_to_utc(date(2026, 1, 12), time(8, 0), "Europe/Moscow") == datetime(
        2026, 1, 12, 5, 0, tzinfo=UTC
    )
    result = local_to_utc(date(2026, 3, 2), time(9, 30), "Asia/Almaty")
    assert result == datetime(2026, 3, 2, 4, 30, tzinfo=UTC)
    assert result.tzinfo is UTC


def test_org1_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_local(datetime(2026, 1, 1, 12, 0), "Europe/Moscow")
    with pytest.raises(ValueError, match="naive"):
        local_date(datetime(2026, 1, 1, 12, 0), "Europe/Moscow")
    with pytest.raises(ValueError, match="naive"):
        local_to_utc(date(2026, 1, 1), time(9, 0, tzinfo=timezone.utc), "Europe/Moscow")  # noqa: UP017


# --- opening hours (ORG-2, P 11.1) ------------------------------------------------------------

MONDAY = date(2026, 1, 12)
SATURDAY = date(2026, 1, 17)
SUNDAY = date(2026, 1, 18)


def at(d: date, h: int, m: int = 0) -> datetime:
    return datetime.combine(d, time(h, m))


def test_org2_p_opening_hours_preset() -> None:
    assert not P_OPENING_HOURS.is_open(at(MONDAY, 7, 59))
    assert P_OPENING_HOURS.is_open(at(MONDAY, 8, 0))
    assert P_OPENING_HOURS.is_open(at(MONDAY, 20, 59))
    assert not P_OPENING_HOURS.is_open(at(MONDAY, 21, 0))  # close is exclusive
    assert not P_OPENING_HOURS.is_open(at(SATURDAY, 8, 15))
    assert P_OPENING_HOURS.is_open(at(SATURDAY, 8, 30))
    assert P_OPENING_HOURS.is_open(at(SUNDAY, 9, 0))
    assert not P_OPENING_HOURS.is_open(at(SUNDAY, 18, 0))


def test_org2_contains_whole_visit() -> None:
    assert P_OPENING_HOURS.contains(at(MONDAY, 20, 30), at(MONDAY, 21, 0))  # may end at closing
    assert not P_OPENING_HOURS.contains(at(MONDAY, 20, 45), at(MONDAY, 21, 15))
    assert not P_OPENING_HOURS.contains(at(SUNDAY, 8, 45), at(SUNDAY, 9, 15))
    assert not P_OPENING_HOURS.contains(at(MONDAY, 20, 0), at(MONDAY + timedelta(days=1), 9, 0))
    with pytest.raises(ValueError, match="before"):
        P_OPENING_HOURS.contains(at(MONDAY, 10), at(MONDAY, 10))


def test_org2_opening_hours_with_a_break_and_closed_days() -> None:
    hours = OpeningHours(days={0: ((time(14), time(18)), (time(8), time(12)))})
    assert [i.open for i in hours.intervals(0)] == [time(8), time(14)]  # sorted
    assert hours.is_open(at(MONDAY, 11, 59))
    assert not hours.is_open(at(MONDAY, 13, 0))
    assert not hours.contains(at(MONDAY, 11, 30), at(MONDAY, 14, 30))  # straddles the break
    assert not hours.is_open(at(MONDAY + timedelta(days=1), 10, 0))  # Tuesday missing: closed


def test_org2_opening_hours_validation() -> None:
    with pytest.raises(ValidationError, match="overlapping"):
        OpeningHours(days={0: (OpeningInterval(open=time(8), close=time(12)), (time(11), time(13)))})
    with pytest.raises(ValidationError, match="before close"):
        OpeningInterval(open=time(21), close=time(8))
    with pytest.raises(ValidationError):
        OpeningHours(days={7: ()})


def test_org2_opening_hours_json_round_trip() -> None:
    restored = OpeningHours.model_validate_json(P_OPENING_HOURS.model_dump_json())
    assert restored == P_OPENING_HOURS


# --- conversions at the edges of Python's calendar (issue 5, point 9) -------------------------


@pytest.mark.parametrize(
    ("instant", "zone"),
    [
        (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))), "Asia/Almaty"),
        (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))), "UTC"),
        (datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-14))), "Asia/Almaty"),
        (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), "Europe/Moscow"),
    ],
)
def test_conversions_that_leave_the_calendar_are_refused_not_overflowed(instant: datetime, zone: str) -> None:
    """These answered 500 (OverflowError) from `GET /v1/price-list?at=` and a booking `start`."""
    with pytest.raises(InstantOutOfRange) as refused:
        to_local(instant, zone)
    assert (refused.value.status, refused.value.code) == (422, "instant_out_of_range")
    with pytest.raises(InstantOutOfRange):
        local_date(instant, zone)


def test_local_to_utc_at_the_calendar_edges_is_refused() -> None:
    with pytest.raises(InstantOutOfRange):
        local_to_utc(date(1, 1, 1), time(0, 0), "Asia/Almaty")
    with pytest.raises(InstantOutOfRange):
        local_to_utc(date(9999, 12, 31), time(23, 0), "America/Los_Angeles")


def test_next_working_day_after_the_last_date_is_refused() -> None:
    with pytest.raises(InstantOutOfRange):
        next_working_day(KZ, date.max)
