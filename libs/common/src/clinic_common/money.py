"""Money as integer minor units plus a currency.

Integer minor units (never floats) keep ledger entries exactly balanced (BIL-7); refusing to mix
currencies keeps a KZT invoice from silently absorbing a RUB amount (BIL-5). The API shape is
``{"amount": "1500.00", "currency": "KZT"}`` (api.md): a decimal string with two places.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum
from fractions import Fraction
from typing import Annotated, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "AMOUNT_PATTERN",
    "MINOR_DIGITS",
    "SIGNED_AMOUNT_PATTERN",
    "Currency",
    "CurrencyMismatch",
    "Money",
    "MoneyModel",
    "SignedMoneyModel",
]


class Currency(StrEnum):
    """Currencies the clinics handle.

    KZT and RUB are organization currencies (ORG-1); USD and EUR exist only for bank transfers
    against an invoice issued in advance (BIL-5). Whether a currency is *accepted* is a billing
    rule, not a property of the amount.
    """

    KZT = "KZT"
    RUB = "RUB"
    USD = "USD"
    EUR = "EUR"


# All four currencies have two minor digits (tiyn, kopeck, cent); api.md fixes two places.
MINOR_DIGITS = 2
_MINOR_PER_MAJOR = 10**MINOR_DIGITS
_QUANTUM = Decimal(1)  # rounding to a whole minor unit

# At most 15 integer digits, so the minor amount always fits a BIGINT column; no exponent, no
# leading "+" or zeros, no thousands separators: amounts are copied around, not parsed loosely.
_AMOUNT_RE = re.compile(r"^(-?)(0|[1-9][0-9]{0,14})(?:\.([0-9]{1,2}))?$")
AMOUNT_PATTERN = r"^(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?$"
SIGNED_AMOUNT_PATTERN = r"^-?(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?$"


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies met in one operation (BIL-5)."""

    def __init__(self, left: Currency, right: Currency) -> None:
        super().__init__(f"currency mismatch: {left} vs {right}")
        self.left = left
        self.right = right


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units of one currency. Immutable and hashable."""

    amount_minor: int
    currency: Currency

    def __post_init__(self) -> None:
        # bool is an int subclass; True tiyn is a bug, not an amount.
        if type(self.amount_minor) is not int:
            raise TypeError(f"amount_minor must be int, got {type(self.amount_minor).__name__}")
        if not isinstance(self.currency, Currency):
            raise TypeError(f"currency must be Currency, got {self.currency!r}")

    # --- construction -------------------------------------------------------------------------

    @classmethod
    def zero(cls, currency: Currency) -> Self:
        return cls(0, currency)

    @classmethod
    def from_decimal_string(cls, value: str, currency: Currency, *, allow_negative: bool = False) -> Self:
        """Parse the api.md amount ("1500", "1500.5", "1500.00"); more than 2 decimals is refused
        rather than rounded, because a silently rounded payment no longer matches its receipt."""
        match = _AMOUNT_RE.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            raise ValueError(f"invalid amount {value!r}: expected a decimal with at most 2 places")
        sign, whole, frac = match.groups()
        if sign and not allow_negative:
            raise ValueError(f"invalid amount {value!r}: must not be negative")
        minor = int(whole) * _MINOR_PER_MAJOR + int((frac or "").ljust(MINOR_DIGITS, "0"))
        return cls(-minor if sign else minor, currency)

    @classmethod
    def total(cls, items: Iterable[Money], currency: Currency) -> Money:
        """Sum that is well defined for an empty list and checks every item's currency."""
        result: Money = cls.zero(currency)
        for item in items:
            result = result + item
        return result

    # --- rendering ----------------------------------------------------------------------------

    def to_decimal_string(self) -> str:
        """Exactly two decimal places, "-" for negatives: "1500.00", "-0.05"."""
        whole, frac = divmod(abs(self.amount_minor), _MINOR_PER_MAJOR)
        sign = "-" if self.amount_minor < 0 else ""
        return f"{sign}{whole}.{frac:0{MINOR_DIGITS}d}"

    def to_decimal(self) -> Decimal:
        return Decimal(self.amount_minor).scaleb(-MINOR_DIGITS)

    def __str__(self) -> str:
        return f"{self.to_decimal_string()} {self.currency}"

    # --- predicates ---------------------------------------------------------------------------

    def is_zero(self) -> bool:
        return self.amount_minor == 0

    def is_negative(self) -> bool:
        return self.amount_minor < 0

    def is_positive(self) -> bool:
        return self.amount_minor > 0

    # --- arithmetic ---------------------------------------------------------------------------

    def _same_currency(self, other: Money) -> None:
        if self.currency is not other.currency:
            raise CurrencyMismatch(self.currency, other.currency)

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount_minor, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount_minor), self.currency)

    def __mul__(self, quantity: int) -> Money:
        # Only whole quantities: fractional factors need an explicit rounding rule (percent()).
        if type(quantity) is not int:
            return NotImplemented
        return Money(self.amount_minor * quantity, self.currency)

    __rmul__ = __mul__

    def percent(self, p: Decimal | int) -> Money:
        """p percent of this amount, rounded half up (away from zero) to the minor unit.

        Floats are refused: 0.1 % as a float is not 0.1 %."""
        if isinstance(p, bool) or not isinstance(p, Decimal | int):
            raise TypeError(f"percent must be Decimal or int, got {type(p).__name__}")
        with localcontext() as ctx:
            ctx.prec = 60  # exact for any BIGINT amount times any sane percentage
            exact = Decimal(self.amount_minor) * Decimal(p) / 100
            rounded = exact.quantize(_QUANTUM, rounding=ROUND_HALF_UP)
        return Money(int(rounded), self.currency)

    def allocate(self, ratios: Sequence[int | Decimal]) -> list[Money]:
        """Split by ratios so the parts sum exactly to this amount (largest remainder; BIL-7).

        Leftover minor units go to the parts with the largest fractional shares, earlier parts
        first on ties, so the result is deterministic."""
        if not ratios:
            raise ValueError("allocate needs at least one ratio")
        fractions: list[Fraction] = []
        for ratio in ratios:
            if isinstance(ratio, bool) or not isinstance(ratio, int | Decimal):
                raise TypeError(f"ratio must be int or Decimal, got {type(ratio).__name__}")
            if ratio < 0:
                raise ValueError("ratios must not be negative")
            fractions.append(Fraction(ratio))
        total = sum(fractions, Fraction(0))
        if total == 0:
            raise ValueError("ratios must not all be zero")

        magnitude = abs(self.amount_minor)
        exact = [magnitude * f / total for f in fractions]
        parts = [int(share) for share in exact]  # floor: shares are non-negative
        leftover = magnitude - sum(parts)
        by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - parts[i]), i))
        for i in by_remainder[:leftover]:
            parts[i] += 1
        sign = -1 if self.amount_minor < 0 else 1
        return [Money(sign * part, self.currency) for part in parts]

    # --- ordering (one currency only) ---------------------------------------------------------

    def __lt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount_minor < other.amount_minor

    def __le__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount_minor <= other.amount_minor

    def __gt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount_minor > other.amount_minor

    def __ge__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount_minor >= other.amount_minor


class MoneyModel(BaseModel):
    """The api.md money object for requests and responses; amounts are never negative here
    (prices, payments, refunds). Input with 0-2 decimals is normalized to exactly 2."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: Annotated[str, Field(pattern=AMOUNT_PATTERN, examples=["1500.00"])]
    currency: Currency

    _ALLOW_NEGATIVE: ClassVar[bool] = False

    @field_validator("amount")
    @classmethod
    def _normalize(cls, value: str) -> str:
        # The currency does not matter for the string form; KZT is only a placeholder.
        parsed = Money.from_decimal_string(value, Currency.KZT, allow_negative=cls._ALLOW_NEGATIVE)
        return parsed.to_decimal_string()

    def to_money(self) -> Money:
        return Money.from_decimal_string(self.amount, self.currency, allow_negative=True)

    @classmethod
    def of(cls, money: Money) -> Self:
        return cls(amount=money.to_decimal_string(), currency=money.currency)


class SignedMoneyModel(MoneyModel):
    """Money object that may be negative: balances and ledger movements."""

    amount: Annotated[str, Field(pattern=SIGNED_AMOUNT_PATTERN, examples=["-1500.00"])]

    _ALLOW_NEGATIVE: ClassVar[bool] = True
