from decimal import Decimal

import pytest
from pydantic import ValidationError

from clinic_common.money import Currency, CurrencyMismatch, Money, MoneyModel, SignedMoneyModel

pytestmark = pytest.mark.unit

KZT = Currency.KZT
RUB = Currency.RUB


def kzt(minor: int) -> Money:
    return Money(minor, KZT)


def test_add_and_sub_same_currency() -> None:
    assert kzt(150_000) + kzt(50) == kzt(150_050)
    assert kzt(100) - kzt(250) == kzt(-150)
    assert -kzt(5) == kzt(-5)
    assert abs(kzt(-5)) == kzt(5)


def test_bil5_mixed_currencies_are_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        _ = kzt(100) + Money(100, RUB)
    with pytest.raises(CurrencyMismatch):
        _ = kzt(100) - Money(100, Currency.USD)
    with pytest.raises(CurrencyMismatch):
        _ = kzt(100) < Money(100, RUB)
    # CurrencyMismatch is a ValueError, so generic handlers map it to a 422-style refusal.
    assert issubclass(CurrencyMismatch, ValueError)


def test_equality_across_currencies_is_false_not_an_error() -> None:
    assert kzt(100) != Money(100, RUB)
    assert len({kzt(100), kzt(100), Money(100, RUB)}) == 2


def test_constructor_rejects_non_int_amounts_and_plain_strings() -> None:
    with pytest.raises(TypeError):
        Money(1.5, KZT)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(True, KZT)
    with pytest.raises(TypeError):
        Money(100, "KZT")  # type: ignore[arg-type]


def test_multiply_by_quantity() -> None:
    assert kzt(1_250) * 3 == kzt(3_750)
    assert 3 * kzt(1_250) == kzt(3_750)
    with pytest.raises(TypeError):
        _ = kzt(100) * 1.5  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = kzt(100) * Decimal("1.5")  # type: ignore[operator]


def test_comparison_within_one_currency() -> None:
    assert kzt(1) < kzt(2) <= kzt(2) < kzt(3)
    assert kzt(3) > kzt(2) >= kzt(2)
    assert max(kzt(5), kzt(9), kzt(1)) == kzt(9)


@pytest.mark.parametrize(
    ("minor", "percent", "expected"),
    [
        (10_000, Decimal(10), 1_000),
        (1_005, Decimal(10), 101),  # 100.5 -> 101: half up
        (1_004, Decimal(10), 100),  # 100.4 -> 100
        (-1_005, Decimal(10), -101),  # half away from zero for refunds too
        (333, Decimal("33.333"), 111),  # 110.99889 -> 111
        (150_000, 7, 10_500),
        (1, Decimal("0.5"), 0),  # 0.005 -> 0
    ],
)
def test_percent_rounds_half_up_to_minor_unit(minor: int, percent: Decimal, expected: int) -> None:
    assert kzt(minor).percent(percent) == kzt(expected)


def test_percent_refuses_floats() -> None:
    with pytest.raises(TypeError):
        kzt(100).percent(12.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("minor", "ratios", "expected"),
    [
        (100, [1, 1, 1], [34, 33, 33]),
        (5, [3, 7], [2, 3]),  # 1.5 / 3.5 -> remainders tie, the earlier part gets the unit
        (1_000, [Decimal("0.2"), Decimal("0.3"), Decimal("0.5")], [200, 300, 500]),
        (-100, [1, 1, 1], [-34, -33, -33]),
        (7, [0, 1], [0, 7]),
        (2, [1, 1, 1, 1], [1, 1, 0, 0]),
    ],
)
def test_bil7_allocate_parts_sum_exactly(
    minor: int, ratios: list[int | Decimal], expected: list[int]
) -> None:
    parts = kzt(minor).allocate(ratios)
    assert parts == [kzt(p) for p in expected]
    assert Money.total(parts, KZT) == kzt(minor)


def test_allocate_rejects_bad_ratios() -> None:
    with pytest.raises(ValueError, match="at least one"):
        kzt(1).allocate([])
    with pytest.raises(ValueError, match="all be zero"):
        kzt(1).allocate([0, 0])
    with pytest.raises(ValueError, match="negative"):
        kzt(1).allocate([1, -1])
    with pytest.raises(TypeError):
        kzt(1).allocate([0.5, 0.5])  # type: ignore[list-item]


def test_total_checks_currency_and_handles_empty() -> None:
    assert Money.total([], RUB) == Money(0, RUB)
    with pytest.raises(CurrencyMismatch):
        Money.total([kzt(1)], RUB)


@pytest.mark.parametrize(
    ("text", "minor"),
    [("1500.00", 150_000), ("1500", 150_000), ("1500.5", 150_050), ("0.05", 5), ("0", 0)],
)
def test_from_decimal_string(text: str, minor: int) -> None:
    assert Money.from_decimal_string(text, KZT) == kzt(minor)


@pytest.mark.parametrize(
    "text",
    ["1500.001", "1,500.00", "1e3", "+5", " 5", "5 ", "01.00", ".5", "5.", "", "abc", "1500.00\n"],
)
def test_from_decimal_string_rejects_malformed(text: str) -> None:
    with pytest.raises(ValueError, match="invalid amount"):
        Money.from_decimal_string(text, KZT)


def test_negative_only_when_allowed() -> None:
    with pytest.raises(ValueError, match="negative"):
        Money.from_decimal_string("-5.00", KZT)
    assert Money.from_decimal_string("-5.25", KZT, allow_negative=True) == kzt(-525)


@pytest.mark.parametrize(
    ("minor", "text"), [(150_000, "1500.00"), (5, "0.05"), (-5, "-0.05"), (0, "0.00"), (-123_456, "-1234.56")]
)
def test_to_decimal_string_has_exactly_two_places(minor: int, text: str) -> None:
    assert kzt(minor).to_decimal_string() == text
    assert Money.from_decimal_string(text, KZT, allow_negative=True) == kzt(minor)


def test_money_model_api_shape_round_trip() -> None:
    model = MoneyModel.of(kzt(150_000))
    assert model.model_dump(mode="json") == {"amount": "1500.00", "currency": "KZT"}
    parsed = MoneyModel.model_validate_json('{"amount": "1500.5", "currency": "RUB"}')
    assert parsed.amount == "1500.50"  # normalized to two places
    assert parsed.to_money() == Money(150_050, RUB)


@pytest.mark.parametrize(
    "payload",
    [
        {"amount": "1500.001", "currency": "KZT"},
        {"amount": "-1.00", "currency": "KZT"},
        {"amount": 1500, "currency": "KZT"},  # a JSON number is not a decimal string
        {"amount": 1500.0, "currency": "KZT"},
        {"amount": "1500.00", "currency": "GBP"},
        {"amount": "1500.00", "currency": "KZT", "extra": 1},
    ],
)
def test_money_model_rejects(payload: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        MoneyModel.model_validate(payload)


def test_signed_money_model_allows_negative_balances() -> None:
    model = SignedMoneyModel(amount="-12.5", currency=KZT)
    assert model.amount == "-12.50"
    assert model.to_money() == kzt(-1_250)
    assert SignedMoneyModel.of(kzt(-1)).amount == "-0.01"
    with pytest.raises(ValidationError):
        MoneyModel.of(kzt(-1))


def test_currency_includes_bank_transfer_currencies_bil5() -> None:
    assert {c.value for c in Currency} == {"KZT", "RUB", "USD", "EUR"}
