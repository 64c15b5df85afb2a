"""SCH-2, BIL-2: what a price list item makes of a catalogue service."""

import pytest

from billing.catalog.domain import (
    DurationOutOfRange,
    ServiceDraft,
    ServiceDurationRequired,
    ServiceTerms,
    check_duration,
    merge_service,
)

pytestmark = pytest.mark.unit

ECG = ServiceTerms(
    code="ecg",
    name="ЭКГ",
    duration_minutes=20,
    category="instrumental",
    requires_referral=True,
    preventive=False,
    state_order=False,
)


def draft(**changes: object) -> ServiceDraft:
    values: dict[str, object] = {
        "code": "ecg",
        "name": "ЭКГ",
        "category": "instrumental",
        "preventive": False,
        "state_order": False,
    }
    values.update(changes)
    return ServiceDraft(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("minutes", [15, 30, 40])
def test_SCH_2_visit_length_within_15_to_40_minutes(minutes: int) -> None:
    check_duration("ecg", minutes)


@pytest.mark.parametrize("minutes", [14, 41, 0])
def test_SCH_2_visit_length_outside_range_is_refused(minutes: int) -> None:
    with pytest.raises(DurationOutOfRange) as exc:
        check_duration("ecg", minutes)
    problem = exc.value.to_problem()
    assert (problem["code"], problem["rule"]) == ("duration_out_of_range", "SCH-2")
    assert problem["service_code"] == "ecg"


def test_SCH_2_range_is_policy_of_the_organization() -> None:
    check_duration("ecg", 60, minimum=10, maximum=60)
    with pytest.raises(DurationOutOfRange):
        check_duration("ecg", 40, minimum=10, maximum=30)


def test_SCH_2_new_service_needs_its_duration() -> None:
    with pytest.raises(ServiceDurationRequired):
        merge_service(None, draft())
    assert merge_service(None, draft(duration_minutes=20)) == ServiceTerms(
        **{**_fields(ECG), "requires_referral": False}  # type: ignore[arg-type]
    )


def test_SCH_2_known_service_keeps_its_duration_and_referral_flag_when_not_given() -> None:
    assert merge_service(ECG, draft()) == ECG


def test_SCH_2_given_duration_and_flags_replace_the_catalogue_terms() -> None:
    merged = merge_service(ECG, draft(name="ЭКГ-12", duration_minutes=25, requires_referral=False))
    assert (merged.name, merged.duration_minutes, merged.requires_referral) == ("ЭКГ-12", 25, False)


def test_BIL_2_state_order_flag_follows_the_price_list() -> None:
    assert merge_service(ECG, draft(state_order=True)).state_order is True


def test_listing_a_service_reactivates_it() -> None:
    inactive = ServiceTerms(**{**_fields(ECG), "active": False})  # type: ignore[arg-type]
    assert merge_service(inactive, draft()).active is True


def _fields(terms: ServiceTerms) -> dict[str, object]:
    return {name: getattr(terms, name) for name in ServiceTerms.__slots__}
