"""HV-8, BIL-16, HV-10: program addresses and their one change; deterioration deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from uuid import uuid4

import pytest

from clinic_common.calendar import Country

from home_visits.deterioration import domain as deterioration
from home_visits.enrollment.domain import Enrollment
from home_visits.program_address.domain import (
    AddressChangeNotAllowed,
    AddressesAlreadyAgreed,
    AddressTerms,
    Band,
    ChangeAction,
    InvalidInterval,
    add_months,
    apply_change,
    check_change_allowed,
    check_initial,
    matching_address,
    program_band,
)

pytestmark = pytest.mark.unit

PROGRAM = Enrollment(uuid4(), uuid4(), uuid4(), date(2026, 1, 1), date(2026, 12, 31), True, "active")
INSIDE = Band(None, None)
BAND_15 = Band(15.0, 15)
BAND_30 = Band(30.0, 30)


def address(band: Band = INSIDE, lat: float = 55.75, lon: float = 37.6) -> AddressTerms:
    return AddressTerms(uuid4(), "Moscow", lat, lon, time(9), time(12), band)


def allowed(filed: date, effective: date, changes: int = 0, program: Enrollment = PROGRAM) -> None:
    check_change_allowed(
        enrollment=program, country=Country.RU, filed_on=filed, effective_on=effective, changes_made=changes
    )


def reason_of(exc: pytest.ExceptionInfo[AddressChangeNotAllowed]) -> str:
    assert exc.value.code == "address_change_not_allowed" and exc.value.rule == "HV-8"
    return str(exc.value.extra["reason"])


def test_HV_8_at_most_two_addresses_at_the_contract() -> None:
    check_initial([address(), address()], already=0)
    with pytest.raises(AddressChangeNotAllowed):
        check_initial([address(), address(), address()], already=0)
    with pytest.raises(AddressesAlreadyAgreed):
        check_initial([address()], already=1)


def test_HV_8_interval_must_not_be_empty() -> None:
    bad = AddressTerms(uuid4(), "x", 55.7, 37.6, time(12), time(9), INSIDE)
    with pytest.raises(InvalidInterval):
        check_initial([bad], already=0)


def test_HV_8_application_5_working_days_ahead() -> None:
    # Filed Monday 2026-06-01: the fifth working day after it is Monday 2026-06-08.
    allowed(date(2026, 6, 1), date(2026, 6, 8))
    with pytest.raises(AddressChangeNotAllowed) as exc:
        allowed(date(2026, 6, 1), date(2026, 6, 5))
    assert reason_of(exc) == "notice_too_short"


def test_HV_8_working_days_skip_holidays() -> None:
    # Filed Wednesday 2026-06-10: 06-11, (06-12 Russia Day), 06-15, 06-16, 06-17, 06-18: the 5th is 06-18.
    with pytest.raises(AddressChangeNotAllowed):
        allowed(date(2026, 6, 10), date(2026, 6, 17))
    allowed(date(2026, 6, 10), date(2026, 6, 18))


def test_HV_8_only_once_per_program() -> None:
    with pytest.raises(AddressChangeNotAllowed) as exc:
        allowed(date(2026, 6, 1), date(2026, 6, 15), changes=1)
    assert reason_of(exc) == "already_changed"


def test_HV_8_at_least_two_months_left() -> None:
    allowed(date(2026, 10, 20), date(2026, 10, 31))  # 10-31 + 2 months = 12-31, the last day
    with pytest.raises(AddressChangeNotAllowed) as exc:
        allowed(date(2026, 10, 21), date(2026, 11, 2))
    assert reason_of(exc) == "too_little_time_left"


def test_HV_8_not_for_a_suspended_program() -> None:
    suspended = Enrollment(
        PROGRAM.id,
        PROGRAM.organization_id,
        PROGRAM.patient_id,
        PROGRAM.starts_on,
        PROGRAM.ends_on,
        True,
        "suspended",
    )
    with pytest.raises(AddressChangeNotAllowed) as exc:
        allowed(date(2026, 6, 1), date(2026, 6, 15), program=suspended)
    assert reason_of(exc) == "program_not_active"


def test_HV_8_add_months_clamps_to_month_end() -> None:
    assert add_months(date(2026, 12, 31), 2) == date(2027, 2, 28)
    assert add_months(date(2026, 1, 15), 2) == date(2026, 3, 15)


def test_HV_8_add_replace_drop_change_interval() -> None:
    first, second = address(), address(BAND_15)
    assert apply_change([first], ChangeAction.ADD, address_id=None, new=second, window=None) == [
        first,
        second,
    ]
    with pytest.raises(AddressChangeNotAllowed):
        apply_change([first, second], ChangeAction.ADD, address_id=None, new=address(), window=None)
    replaced = apply_change([first], ChangeAction.REPLACE, address_id=first.id, new=second, window=None)
    assert replaced == [second]
    assert apply_change([first, second], ChangeAction.DROP, address_id=first.id, new=None, window=None) == [
        second
    ]
    with pytest.raises(AddressChangeNotAllowed) as exc:
        apply_change([first], ChangeAction.DROP, address_id=first.id, new=None, window=None)
    assert reason_of(exc) == "last_address"
    moved = apply_change(
        [first], ChangeAction.CHANGE_INTERVAL, address_id=first.id, new=None, window=(time(14), time(17))
    )
    assert (moved[0].window_start, moved[0].window_end) == (time(14), time(17))
    with pytest.raises(AddressChangeNotAllowed):
        apply_change([first], ChangeAction.REPLACE, address_id=uuid4(), new=second, window=None)


def test_BIL_16_program_band_is_the_farthest_address() -> None:
    assert program_band([address()]) == INSIDE
    assert program_band([address(), address(BAND_15)]) == BAND_15
    assert program_band([address(BAND_30), address(BAND_15)]) == BAND_30


def test_HV_3_a_visit_at_a_program_address_within_100_m() -> None:
    home = address(lat=55.7500, lon=37.6000)
    assert matching_address([home], 55.7505, 37.6005) == home  # about 65 m
    assert matching_address([home], 55.7520, 37.6000) is None  # about 220 m


# HV-10

REPORTED = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def test_HV_10_deadline_is_policy_minutes_after_the_report() -> None:
    deadline = deterioration.acknowledge_by(REPORTED, 30)
    assert deadline == REPORTED + timedelta(minutes=30)
    assert not deterioration.overdue("open", deadline, deadline - timedelta(seconds=1))
    assert deterioration.overdue("open", deadline, deadline)
    assert not deterioration.overdue("acknowledged", deadline, deadline + timedelta(hours=1))
    assert not deterioration.overdue("escalated", deadline, deadline + timedelta(hours=1))


def test_HV_10_a_report_is_acknowledged_once() -> None:
    deterioration.check_acknowledgeable("open")
    deterioration.check_acknowledgeable("escalated")
    with pytest.raises(deterioration.ReportAlreadyAcknowledged):
        deterioration.check_acknowledgeable("acknowledged")
