"""Program home-care addresses and their one change per program (HV-8, BIL-16) as plain Python.

HV-8 (P 12.6.1, P 12.6.4, P 12.6.5): a program has at most two home-care addresses, each with an
agreed time interval. Once per program, with at least two months left, the patient may add a
second address, replace one, drop one, or change an interval, by an application filed at least
5 working days before it takes effect; a change of distance band triggers BIL-16; the new terms
are a supplementary agreement.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, time
from enum import StrEnum
from uuid import UUID

from clinic_common.calendar import Country, working_days_between
from clinic_common.errors import AppError

from home_visits.enrollment.domain import Enrollment
from home_visits.zone.domain import ZoneDecision
from home_visits.zone.geo import geodesic_km

MAX_ADDRESSES = 2
NOTICE_WORKING_DAYS = 5  # P 12.6.4
MONTHS_LEFT = 2  # P 12.6.1
SAME_ADDRESS_KM = 0.1
"""A visit requested within 100 m of a program address is at that address (HV-3: its interval)."""


class ChangeAction(StrEnum):
    ADD = "add"
    REPLACE = "replace"
    DROP = "drop"
    CHANGE_INTERVAL = "change_interval"


class AddressChangeNotAllowed(AppError):
    status = 422
    code = "address_change_not_allowed"
    title = "The program's home-care addresses cannot be changed this way"
    rule = "HV-8"


class InvalidInterval(AppError):
    status = 422
    code = "invalid_interval"
    title = "An agreed interval starts before it ends"
    rule = "HV-8"


class AddressesAlreadyAgreed(AppError):
    status = 409
    code = "addresses_already_agreed"
    title = "The program's addresses are agreed; change them by an application"
    rule = "HV-8"


@dataclass(frozen=True, slots=True)
class Band:
    """Where an address stands against the base zone: `upper_km` None inside it (BIL-15)."""

    upper_km: float | None
    surcharge_percent: int | None

    @classmethod
    def of(cls, zone: ZoneDecision) -> Band:
        if zone.inside_base_zone or zone.band is None:
            return cls(None, None)
        return cls(zone.band.upper_km, zone.band.surcharge_percent)


@dataclass(frozen=True, slots=True)
class AddressTerms:
    id: UUID
    text: str
    lat: float
    lon: float
    window_start: time
    window_end: time
    band: Band


def check_interval(start: time, end: time) -> None:
    if not start < end:
        raise InvalidInterval(f"the interval {start.isoformat()}-{end.isoformat()} is empty")


def check_initial(addresses: Sequence[AddressTerms], already: int) -> None:
    """HV-8: the contract's one or two addresses, recorded once; changes go by application."""
    if already:
        raise AddressesAlreadyAgreed()
    if not 1 <= len(addresses) <= MAX_ADDRESSES:
        raise AddressChangeNotAllowed("A program has one or two home-care addresses", reason="too_many")
    for a in addresses:
        check_interval(a.window_start, a.window_end)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _refuse(reason: str, detail: str) -> AddressChangeNotAllowed:
    return AddressChangeNotAllowed(detail, reason=reason)


def check_change_allowed(
    *,
    enrollment: Enrollment,
    country: Country,
    filed_on: date,
    effective_on: date,
    changes_made: int,
) -> None:
    """HV-8: once per program, at least two months left when it takes effect, filed at least
    5 working days before (ORG-4: the organization's calendar)."""
    if enrollment.status != "active":
        raise _refuse("program_not_active", f"The program is {enrollment.status}")
    if changes_made:
        raise _refuse("already_changed", "The addresses of this program were changed once already")
    if working_days_between(country, filed_on, effective_on) < NOTICE_WORKING_DAYS:
        raise _refuse(
            "notice_too_short",
            f"An application takes effect at least {NOTICE_WORKING_DAYS} working days after it is filed",
        )
    if add_months(effective_on, MONTHS_LEFT) > enrollment.ends_on:
        raise _refuse("too_little_time_left", f"Less than {MONTHS_LEFT} months of the program would be left")


def apply_change(
    current: Sequence[AddressTerms],
    action: ChangeAction,
    *,
    address_id: UUID | None,
    new: AddressTerms | None,
    window: tuple[time, time] | None,
) -> list[AddressTerms]:
    """HV-8: the program's addresses after the change (at most two, at least one)."""
    by_id = {a.id: a for a in current}
    if action is not ChangeAction.ADD and (address_id is None or address_id not in by_id):
        raise _refuse("address_unknown", "Name one of the program's addresses (address_id)")
    if action in (ChangeAction.ADD, ChangeAction.REPLACE) and new is None:
        raise _refuse("address_missing", "The new address is missing")
    if action is ChangeAction.ADD:
        assert new is not None
        if len(current) >= MAX_ADDRESSES:
            raise _refuse("too_many", f"A program has at most {MAX_ADDRESSES} home-care addresses")
        check_interval(new.window_start, new.window_end)
        return [*current, new]
    if action is ChangeAction.REPLACE:
        assert new is not None
        check_interval(new.window_start, new.window_end)
        return [new if a.id == address_id else a for a in current]
    if action is ChangeAction.DROP:
        if len(current) == 1:
            raise _refuse("last_address", "The program's only address cannot be dropped; replace it")
        return [a for a in current if a.id != address_id]
    if window is None:
        raise _refuse("interval_missing", "The new interval is missing")
    check_interval(*window)
    return [
        replace(a, window_start=window[0], window_end=window[1]) if a.id == address_id else a for a in current
    ]


def program_band(addresses: Sequence[AddressTerms]) -> Band:
    """BIL-16: the program's band is its farthest address's (None: all inside the base zone)."""
    outside = [a.band for a in addresses if a.band.upper_km is not None]
    if not outside:
        return Band(None, None)
    return max(outside, key=lambda b: b.upper_km or 0.0)


def matching_address(addresses: Sequence[AddressTerms], lat: float, lon: float) -> AddressTerms | None:
    """HV-3: the program address a visit is requested at (within 100 m), if any."""
    best = min(addresses, key=lambda a: geodesic_km(a.lon, a.lat, lon, lat), default=None)
    if best is not None and geodesic_km(best.lon, best.lat, lon, lat) <= SAME_ADDRESS_KM:
        return best
    return None
