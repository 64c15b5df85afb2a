"""REC-1: Kazakhstan IIN validation."""

from datetime import date

import pytest

from records.patient.iin import (
    IinCheck,
    InvalidIin,
    Sex,
    iin_birth_date,
    iin_check_digit,
    iin_sex,
    validate_iin,
)

pytestmark = pytest.mark.unit

W1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
W2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def reference_check_digit(first_eleven: str) -> int | None:
    """Independent restatement of the published algorithm, to build test IINs."""
    for weights in (W1, W2):
        result = sum(int(c) * w for c, w in zip(first_eleven, weights, strict=True)) % 11
        if result != 10:
            return result
    return None


def make_iin(first_eleven: str) -> str:
    digit = reference_check_digit(first_eleven)
    assert digit is not None, "test data: this prefix can never be issued"
    return first_eleven + str(digit)


def test_rec1_valid_iin_male_20th_century() -> None:
    iin = make_iin("8503153" + "0123")
    check = validate_iin(iin)
    assert check == IinCheck(iin=iin, birth_date=date(1985, 3, 15), sex=Sex.MALE)
    assert iin_birth_date(iin) == date(1985, 3, 15)
    assert iin_sex(iin) is Sex.MALE


@pytest.mark.parametrize(
    ("prefix", "born", "sex"),
    [
        ("8912311" + "0001", date(1889, 12, 31), Sex.MALE),
        ("8912312" + "0001", date(1889, 12, 31), Sex.FEMALE),
        ("8503154" + "0123", date(1985, 3, 15), Sex.FEMALE),
        ("0002296" + "4321", date(2000, 2, 29), Sex.FEMALE),  # 2000 is a leap year
        ("2401015" + "0007", date(2024, 1, 1), Sex.MALE),
    ],
)
def test_rec1_century_and_sex_digit(prefix: str, born: date, sex: Sex) -> None:
    check = validate_iin(make_iin(prefix))
    assert (check.birth_date, check.sex) == (born, sex)


def test_rec1_hand_verified_second_weight_set() -> None:
    # 8 5 0 5 2 0 4 0 0 0 0 (20 May 1985, digit 7 = 4: 1900s, female)
    # weights 1..11: 8 + 10 + 0 + 20 + 10 + 0 + 28 + 0 + 0 + 0 + 0 = 76; 76 mod 11 = 10 -> retry
    # weights 3,4,5,6,7,8,9,10,11,1,2: 24 + 20 + 0 + 30 + 14 + 0 + 36 + 0 = 124; 124 mod 11 = 3
    assert iin_check_digit("85052040000") == 3
    check = validate_iin("850520400003")
    assert check.birth_date == date(1985, 5, 20)
    assert check.sex is Sex.FEMALE
    with pytest.raises(InvalidIin) as err:
        validate_iin("850520400000")  # 76 mod 11 = 10 must never be taken as digit 0
    assert err.value.reason == "check_digit"


def test_rec1_both_weight_sets_give_10_is_invalid() -> None:
    # 9 0 0 1 0 1 3 0 0 8 0: first set 9+4+6+21+80 = 120 -> 10; second 27+6+8+27+8 = 76 -> 10.
    assert iin_check_digit("90010130080") is None
    for last in "0123456789":
        with pytest.raises(InvalidIin) as err:
            validate_iin("90010130080" + last)
        assert err.value.reason == "check_digit"


@pytest.mark.parametrize(
    ("iin", "reason"),
    [
        ("", "length"),
        ("85031530123", "length"),
        ("8503153012345", "length"),
        (" 850315301234", "length"),
        ("85031530123a", "not_digits"),
        ("8503153012 4", "not_digits"),
        ("85031530123٤", "not_digits"),  # Arabic-Indic four is a digit to str.isdigit(), not here
        ("850315001234", "century_digit"),  # 0: unassigned, refused
        ("850315701234", "century_digit"),
        ("850315901234", "century_digit"),
        ("851315301234", "birth_date"),  # month 13
        ("850230301234", "birth_date"),  # 30 February
        ("850000301234", "birth_date"),
        ("000229401234", "birth_date"),  # 1900 was not a leap year
    ],
)
def test_rec1_structural_failures(iin: str, reason: str) -> None:
    with pytest.raises(InvalidIin) as err:
        validate_iin(iin)
    assert err.value.reason == reason
    assert str(err.value)  # a clear message for the problem+json detail


def test_rec1_wrong_check_digit() -> None:
    iin = make_iin("8503153" + "0123")
    wrong = iin[:11] + str((int(iin[11]) + 1) % 10)
    with pytest.raises(InvalidIin) as err:
        validate_iin(wrong)
    assert err.value.reason == "check_digit"


def test_rec1_birth_date_mismatch() -> None:
    iin = make_iin("8503153" + "0123")
    assert validate_iin(iin, birth_date=date(1985, 3, 15)).iin == iin
    with pytest.raises(InvalidIin) as err:
        validate_iin(iin, birth_date=date(1985, 3, 16))
    assert err.value.reason == "birth_date_mismatch"


def test_rec1_sex_mismatch() -> None:
    iin = make_iin("8503153" + "0123")
    assert validate_iin(iin, sex="male").sex is Sex.MALE
    with pytest.raises(InvalidIin) as err:
        validate_iin(iin, sex="female")
    assert err.value.reason == "sex_mismatch"


def test_rec1_unknown_sex_value_is_a_caller_error_not_an_invalid_iin() -> None:
    iin = make_iin("8503153" + "0123")
    with pytest.raises(ValueError) as err:
        validate_iin(iin, sex="M")
    assert not isinstance(err.value, InvalidIin)


def test_rec1_accessors_refuse_invalid_iins() -> None:
    with pytest.raises(InvalidIin):
        iin_birth_date("850315001234")
    with pytest.raises(InvalidIin):
        iin_sex("123")


def test_rec1_invalid_iin_is_a_value_error() -> None:
    assert issubclass(InvalidIin, ValueError)


def test_check_digit_helper_matches_reference_on_many_prefixes() -> None:
    for n in range(0, 10_000, 7):
        prefix = f"9506254{n:04d}"
        assert iin_check_digit(prefix) == reference_check_digit(prefix)
