"""BIL-1, BIL-5: price list versions and what they may hold."""

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from clinic_common.errors import AppError

from billing.pricelist.domain import (
    CurrencyNotAccepted,
    DuplicateServiceCode,
    EffectiveFromInPast,
    VersionRef,
    check_currency,
    check_effective_from,
    check_unique_codes,
    price_list_day,
    version_in_force,
)

pytestmark = pytest.mark.unit

V2020 = VersionRef(uuid4(), date(2020, 1, 1))
V2026 = VersionRef(uuid4(), date(2026, 3, 1))
V2027 = VersionRef(uuid4(), date(2027, 1, 1))


def test_BIL_1_version_in_force_is_latest_effective_on_or_before_date() -> None:
    assert version_in_force([V2027, V2020, V2026], date(2026, 11, 22)) == V2026


def test_BIL_1_version_takes_effect_on_its_first_day() -> None:
    assert version_in_force([V2020, V2026], date(2026, 3, 1)) == V2026
    assert version_in_force([V2020, V2026], date(2026, 2, 28)) == V2020


def test_BIL_1_future_version_is_not_yet_in_force() -> None:
    assert version_in_force([V2027], date(2026, 12, 31)) is None


def test_BIL_1_no_version_before_the_first_or_without_any() -> None:
    assert version_in_force([V2026], date(2019, 12, 31)) is None
    assert version_in_force([], date(2026, 1, 1)) is None


def test_BIL_1_day_is_the_organization_local_date() -> None:
    # 20:00Z on 28 Feb is already 1 Mar in Almaty (UTC+5), still 28 Feb in Moscow (UTC+3 → 23:00).
    at = datetime(2026, 2, 28, 20, 0, tzinfo=UTC)
    assert price_list_day(at, "Asia/Almaty") == date(2026, 3, 1)
    assert price_list_day(at, "Europe/Moscow") == date(2026, 2, 28)
    assert version_in_force([V2020, V2026], price_list_day(at, "Asia/Almaty")) == V2026
    assert version_in_force([V2020, V2026], price_list_day(at, "Europe/Moscow")) == V2020


def test_BIL_1_new_version_may_take_effect_today_or_later() -> None:
    check_effective_from(date(2026, 11, 22), today=date(2026, 11, 22))
    check_effective_from(date(2027, 1, 1), today=date(2026, 11, 22))


def test_BIL_1_new_version_never_reprices_past_days() -> None:
    with pytest.raises(EffectiveFromInPast) as exc:
        check_effective_from(date(2026, 11, 21), today=date(2026, 11, 22))
    assert_refusal(exc.value, 422, "effective_from_in_past", "BIL-1")


def test_BIL_1_a_version_lists_each_service_once() -> None:
    check_unique_codes(["ecg", "therapist_first"])
    with pytest.raises(DuplicateServiceCode) as exc:
        check_unique_codes(["ecg", "therapist_first", "ecg"])
    assert_refusal(exc.value, 422, "duplicate_service_code", "BIL-1")
    assert exc.value.extra["service_codes"] == ["ecg"]


def test_BIL_5_prices_in_the_organization_currency_are_accepted() -> None:
    check_currency([("ecg", "KZT"), ("therapist_first", "KZT")], "KZT")


def test_BIL_5_price_in_another_currency_is_refused() -> None:
    with pytest.raises(CurrencyNotAccepted) as exc:
        check_currency([("ecg", "KZT"), ("therapist_first", "USD"), ("ent_first", "RUB")], "KZT")
    assert_refusal(exc.value, 422, "currency_not_accepted", "BIL-5")
    assert exc.value.extra["service_codes"] == ["ent_first", "therapist_first"]


def assert_refusal(error: AppError, status: int, code: str, rule: str) -> None:
    problem = error.to_problem()
    assert (problem["status"], problem["code"], problem["rule"]) == (status, code, rule)
