"""Kazakhstan individual identification number (IIN) checks (REC-1).

In KZ the IIN is required to register a patient and an invalid one is refused with a clear
error, so every failure carries a stable machine-readable `reason`.

Layout (government decree No. 565 of 11 June 2003 and its registry rules): digits 1-6 are the
birth date YYMMDD; digit 7 encodes century and sex (1/2 = 1800s, 3/4 = 1900s, 5/6 = 2000s;
odd male, even female; 0 and 7-9 are unassigned, so refused); digits 8-11 a registration number;
digit 12 the check digit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Literal

__all__ = [
    "IinCheck",
    "InvalidIin",
    "InvalidIinReason",
    "Sex",
    "iin_birth_date",
    "iin_check_digit",
    "iin_sex",
    "validate_iin",
]

InvalidIinReason = Literal[
    "length",
    "not_digits",
    "birth_date",
    "century_digit",
    "check_digit",
    "birth_date_mismatch",
    "sex_mismatch",
]

_LENGTH = 12
_DIGITS = frozenset("0123456789")  # str.isdigit() would also accept "²" and Arabic-Indic digits
_WEIGHTS_1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
_UNUSABLE = 10  # a remainder of 10 is not a digit: switch weights, and if again 10, never issued


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


# Digit 7 -> (first year of the century, sex).
_CENTURY_SEX: dict[str, tuple[int, Sex]] = {
    "1": (1800, Sex.MALE),
    "2": (1800, Sex.FEMALE),
    "3": (1900, Sex.MALE),
    "4": (1900, Sex.FEMALE),
    "5": (2000, Sex.MALE),
    "6": (2000, Sex.FEMALE),
}

_MESSAGES: dict[str, str] = {
    "length": "IIN must be exactly 12 digits",
    "not_digits": "IIN must contain digits only",
    "birth_date": "IIN digits 1-6 are not a valid date of birth (YYMMDD)",
    "century_digit": "IIN digit 7 (century and sex) must be 1-6",
    "check_digit": "IIN check digit does not match",
    "birth_date_mismatch": "IIN does not match the date of birth given",
    "sex_mismatch": "IIN does not match the sex given",
}


class InvalidIin(ValueError):
    """The IIN is refused (REC-1); `reason` is stable and meant for the API error."""

    def __init__(self, reason: InvalidIinReason, detail: str | None = None) -> None:
        self.reason: InvalidIinReason = reason
        super().__init__(detail or _MESSAGES[reason])


@dataclass(frozen=True, slots=True)
class IinCheck:
    """What a valid IIN says about its holder."""

    iin: str
    birth_date: date
    sex: Sex


def iin_check_digit(first_eleven: str) -> int | None:
    """The check digit for the first 11 digits, or None when both weight sets give 10
    (such numbers are never issued)."""
    if len(first_eleven) != _LENGTH - 1 or not set(first_eleven) <= _DIGITS:
        raise ValueError("expected 11 digits")
    digits = [int(c) for c in first_eleven]
    for weights in (_WEIGHTS_1, _WEIGHTS_2):
        result = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if result != _UNUSABLE:
            return result
    return None


def _parse(iin: str) -> IinCheck:
    """Structural checks in a fixed order, so the reason reported is the first thing wrong."""
    if len(iin) != _LENGTH:
        raise InvalidIin("length")
    if not set(iin) <= _DIGITS:
        raise InvalidIin("not_digits")
    # Century before date: the full year (hence 29 February) depends on it.
    century_sex = _CENTURY_SEX.get(iin[6])
    if century_sex is None:
        raise InvalidIin("century_digit")
    century, sex = century_sex
    try:
        birth = date(century + int(iin[0:2]), int(iin[2:4]), int(iin[4:6]))
    except ValueError:
        raise InvalidIin("birth_date") from None
    if iin_check_digit(iin[:11]) != int(iin[11]):
        raise InvalidIin("check_digit")
    return IinCheck(iin=iin, birth_date=birth, sex=sex)


def validate_iin(iin: str, birth_date: date | None = None, sex: str | None = None) -> IinCheck:
    """REC-1: validate an IIN and, when given, that it agrees with the stated birth date and sex.

    The string is taken as is (no trimming): callers normalize user input. `sex` is "male" or
    "female". Raises InvalidIin with the first failing reason."""
    expected_sex = Sex(sex) if sex is not None else None  # unknown value: ValueError, caller bug
    check = _parse(iin)
    if birth_date is not None and check.birth_date != birth_date:
        raise InvalidIin("birth_date_mismatch")
    if expected_sex is not None and check.sex is not expected_sex:
        raise InvalidIin("sex_mismatch")
    return check


def iin_birth_date(iin: str) -> date:
    """Birth date encoded in a valid IIN (raises InvalidIin otherwise)."""
    return _parse(iin).birth_date


def iin_sex(iin: str) -> Sex:
    """Sex encoded in a valid IIN (raises InvalidIin otherwise)."""
    return _parse(iin).sex
