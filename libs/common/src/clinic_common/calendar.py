"""Organization calendars: public holidays, working days, time zones, opening hours.

ORG-1: an organization has a country (KZ, RU), a time zone and its country's holiday calendar;
times are stored in UTC and shown in the organization's zone. ORG-4: working-day arithmetic
("within 10 working days") uses that calendar. A working day is one of the country's production
calendar: not a public holiday or transferred day off, and not a weekend unless a weekend day was
made a working day by transfer (domain-rules.md, Terms). The `holidays` package knows both; its
`is_working_day` is the single source of truth here.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import holidays
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from clinic_common.errors import InstantOutOfRange

__all__ = [
    "DEFAULT_TIME_ZONES",
    "P_OPENING_HOURS",
    "Country",
    "InstantOutOfRange",
    "OpeningHours",
    "OpeningInterval",
    "add_working_days",
    "country_holidays",
    "is_working_day",
    "local_date",
    "local_to_utc",
    "next_working_day",
    "to_local",
    "working_days_between",
]


class Country(StrEnum):
    KZ = "KZ"
    RU = "RU"


# ORG-1: the zones the spec names; an organization may still configure another one.
DEFAULT_TIME_ZONES: Mapping[Country, str] = {
    Country.KZ: "Asia/Almaty",
    Country.RU: "Europe/Moscow",
}


# --- holidays and working days (ORG-1, ORG-4) -------------------------------------------------


def country_holidays(country: Country, years: int | Iterable[int]) -> Any:
    """A fresh `holidays` calendar of public holidays (incl. transferred days off) for `years`.

    Returns a `holidays.HolidayBase` (the package is untyped here); it also carries
    `weekend_workdays`, the weekend days made working days by transfer."""
    year_list = [years] if isinstance(years, int) else list(years)
    return holidays.country_holidays(str(country), years=year_list)


# One lazily-expanding calendar per country. HolidayBase fills in years on first lookup, which
# mutates it, so lookups are serialized; a lookup is a dict access, so the lock is cheap.
_lock = threading.Lock()


@cache
def _calendar(country: Country) -> Any:
    return holidays.country_holidays(str(country))


def is_working_day(country: Country, d: date) -> bool:
    """ORG-4: a production-calendar working day of `country` (transferred working Saturdays
    count, transferred days off do not)."""
    day = _as_date(d)
    with _lock:
        return bool(_calendar(country).is_working_day(day))


def is_public_holiday(country: Country, d: date) -> bool:
    """A public holiday or transferred day off of the country's calendar (SCH-5), weekends aside."""
    d = _as_date(d)
    cal = _calendar(country)
    with _lock:
        return d in cal


def next_working_day(country: Country, d: date) -> date:
    """The first working day strictly after `d`."""
    day = _next_day(_as_date(d))
    while not is_working_day(country, day):
        day = _next_day(day)
    return day


def _next_day(d: date) -> date:
    try:
        return d + timedelta(days=1)
    except OverflowError:
        raise InstantOutOfRange() from None


def add_working_days(country: Country, start: date, n: int) -> date:
    """ORG-4: the n-th working day after `start` ("within 10 working days of start" ends on
    `add_working_days(c, start, 10)`); `start` itself never counts. For n == 0, `start` if it is
    a working day, else the next one (the earliest day something can happen)."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = _as_date(start)
    if n == 0:
        return day if is_working_day(country, day) else next_working_day(country, day)
    for _ in range(n):
        day = next_working_day(country, day)
    return day


def working_days_between(country: Country, a: date, b: date) -> int:
    """Working days in (a, b]: after `a`, up to and including `b`; negative when b < a.

    Chosen so that `working_days_between(c, s, add_working_days(c, s, n)) == n` for n >= 1,
    which is how a deadline's elapsed or remaining working days are counted (ORG-4)."""
    a, b = _as_date(a), _as_date(b)
    if a == b:
        return 0
    if b < a:
        return -working_days_between(country, b, a)
    count = 0
    day = a + timedelta(days=1)
    while day <= b:
        count += is_working_day(country, day)
        day += timedelta(days=1)
    return count


def _as_date(d: date) -> date:
    # datetime is a date subclass; its time of day would be silently dropped, which hides a
    # forgotten local_date() (UTC vs organization zone) at the call site.
    if isinstance(d, datetime):
        raise TypeError("pass a date, not a datetime; use local_date() for an instant")
    return d


# --- time zones (ORG-1) ---------------------------------------------------------------------


def _zone(tz_name: str) -> ZoneInfo:
    return ZoneInfo(tz_name)  # ZoneInfo caches instances itself


def _require_aware(instant: datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("naive datetime: instants must carry a time zone (store UTC)")


def to_local(instant: datetime, tz_name: str) -> datetime:
    """The instant as wall-clock time in the organization's zone (aware).

    Near datetime's limits (year 1 with +14:00, year 9999 with -14:00) the conversion leaves
    Python's range: that is the client's date, refused as `instant_out_of_range`, never a 500."""
    _require_aware(instant)
    try:
        return instant.astimezone(_zone(tz_name))
    except OverflowError:
        raise InstantOutOfRange() from None


def local_date(instant: datetime, tz_name: str) -> date:
    """The organization-local calendar date of an instant: 20:00Z on 31 Dec is already
    1 Jan in Almaty, which matters for holidays and working days."""
    return to_local(instant, tz_name).date()


def local_to_utc(d: date, t: time, tz_name: str) -> datetime:
    """An organization-local wall-clock date and time as a UTC instant.

    `t` must be naive (it is local by definition). KZ and RU have no DST today; for a
    nonexistent or repeated wall time zoneinfo's fold=0 rule applies."""
    if isinstance(d, datetime):
        raise TypeError("pass a date, not a datetime")
    if t.tzinfo is not None:
        raise ValueError("local time must be naive; the zone comes from tz_name")
    try:
        return datetime.combine(d, t, tzinfo=_zone(tz_name)).astimezone(UTC)
    except OverflowError:
        raise InstantOutOfRange() from None


# --- opening hours (ORG-2, SCH-5) -------------------------------------------------------------


class OpeningInterval(BaseModel):
    """[open, close) on one day; close is exclusive, so 21:00 closing means a visit must end by
    21:00 and nothing starts at 21:00."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    open: time
    close: time

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, value: Any) -> Any:
        # Accept (open, close) pairs, which read better in presets and tests.
        if isinstance(value, tuple | list) and len(value) == 2:
            return {"open": value[0], "close": value[1]}
        return value

    @model_validator(mode="after")
    def _check(self) -> OpeningInterval:
        if self.open.tzinfo is not None or self.close.tzinfo is not None:
            raise ValueError("opening hours are local wall-clock times; no tzinfo")
        if not self.open < self.close:
            raise ValueError("open must be before close (overnight intervals are not supported)")
        return self

    def contains_time(self, t: time) -> bool:
        return self.open <= t < self.close


Weekday = Annotated[int, Field(ge=0, le=6)]


class OpeningHours(BaseModel):
    """Opening hours per weekday (0=Mon .. 6=Sun) in organization-local time (ORG-2).

    A weekday that is missing or has no intervals is closed. Public holidays are not handled
    here: booking checks them separately (SCH-5)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    days: dict[Weekday, tuple[OpeningInterval, ...]]

    @field_validator("days")
    @classmethod
    def _sorted_and_disjoint(
        cls, days: dict[int, tuple[OpeningInterval, ...]]
    ) -> dict[int, tuple[OpeningInterval, ...]]:
        result: dict[int, tuple[OpeningInterval, ...]] = {}
        for weekday, intervals in sorted(days.items()):
            ordered = tuple(sorted(intervals, key=lambda i: i.open))
            for earlier, later in itertools.pairwise(ordered):
                if later.open < earlier.close:
                    raise ValueError(f"overlapping opening intervals on weekday {weekday}")
            result[weekday] = ordered
        return result

    def intervals(self, weekday: int) -> Sequence[OpeningInterval]:
        return self.days.get(weekday, ())

    def is_open(self, local_dt: datetime) -> bool:
        """Is the branch open at this organization-local wall-clock time?"""
        t = local_dt.time()
        return any(i.contains_time(t) for i in self.intervals(local_dt.weekday()))

    def contains(self, local_start: datetime, local_end: datetime) -> bool:
        """Does [local_start, local_end) lie within one opening interval of one day?
        (An appointment must not straddle a break or closing time.)"""
        if not local_start < local_end:
            raise ValueError("local_start must be before local_end")
        if local_start.date() != local_end.date():
            return False
        start_t, end_t = local_start.time(), local_end.time()
        return any(i.open <= start_t and end_t <= i.close for i in self.intervals(local_start.weekday()))


# ORG-2, P 11.1: weekdays 08:00-21:00, Saturday 08:30-21:00, Sunday 09:00-18:00.
P_OPENING_HOURS = OpeningHours(
    days={
        **{wd: (OpeningInterval(open=time(8, 0), close=time(21, 0)),) for wd in range(5)},
        5: (OpeningInterval(open=time(8, 30), close=time(21, 0)),),
        6: (OpeningInterval(open=time(9, 0), close=time(18, 0)),),
    }
)
