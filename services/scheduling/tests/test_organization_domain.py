"""Organization rules without a database: presets (ORG-2, SCH-2, SCH-6, SCH-7, SCH-14, BIL-16, HV-3),
policy versions and notice (ORG-3), time zones (ORG-1)."""

from __future__ import annotations

from datetime import date, time

import pytest
from pydantic import ValidationError

from clinic_common.calendar import P_OPENING_HOURS, Country

from scheduling.organization.domain import (
    O_PRESET,
    P_PRESET,
    InvalidTimeZone,
    InvalidWeeklyHours,
    LatenessOption,
    NoPolicyInForce,
    Policy,
    PolicyNoticeTooShort,
    PolicyVersion,
    WeeklyInterval,
    check_policy_change,
    check_time_zone,
    check_weekly_hours,
    daily,
    earliest_effective_date,
    policy_in_force,
    to_opening_hours,
)

pytestmark = pytest.mark.unit

S, SH, R, T, C, F = (
    LatenessOption.SERVE,
    LatenessOption.SHORTEN,
    LatenessOption.RESCHEDULE,
    LatenessOption.TRANSFER,
    LatenessOption.CANCEL,
    LatenessOption.REFUSE,
)


# --- ORG-1 ------------------------------------------------------------------------------------


def test_ORG_1_known_zones_pass() -> None:
    check_time_zone("Asia/Almaty")
    check_time_zone("Europe/Moscow")


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../etc/passwd"])
def test_ORG_1_unknown_time_zone_refused(zone: str) -> None:
    with pytest.raises(InvalidTimeZone) as err:
        check_time_zone(zone)
    assert (err.value.code, err.value.rule) == ("invalid_time_zone", "ORG-1")


# --- ORG-2 ------------------------------------------------------------------------------------


def test_ORG_2_P_preset_opening_hours_are_P_11_1() -> None:
    hours = to_opening_hours(P_PRESET.opening_hours)
    assert hours == P_OPENING_HOURS
    assert [(i.open, i.close) for i in hours.intervals(0)] == [(time(8, 0), time(21, 0))]
    assert [(i.open, i.close) for i in hours.intervals(5)] == [(time(8, 30), time(21, 0))]
    assert [(i.open, i.close) for i in hours.intervals(6)] == [(time(9, 0), time(18, 0))]


def test_ORG_2_P_preset_phone_booking_hours_are_P_11_2_daily() -> None:
    assert P_PRESET.phone_booking_hours == daily(time(7, 30), time(22, 0))
    assert {i.weekday for i in P_PRESET.phone_booking_hours} == set(range(7))


def test_ORG_2_overlapping_hours_refused() -> None:
    with pytest.raises(InvalidWeeklyHours) as err:
        check_weekly_hours(
            [
                WeeklyInterval(weekday=0, opens=time(8, 0), closes=time(13, 0)),
                WeeklyInterval(weekday=0, opens=time(12, 0), closes=time(18, 0)),
            ]
        )
    assert (err.value.code, err.value.rule) == ("invalid_weekly_hours", "ORG-2")


def test_ORG_2_break_in_the_day_is_allowed() -> None:
    hours = check_weekly_hours(
        [
            WeeklyInterval(weekday=2, opens=time(14, 0), closes=time(18, 0)),
            WeeklyInterval(weekday=2, opens=time(8, 0), closes=time(13, 0)),
        ]
    )
    assert [i.open for i in hours.intervals(2)] == [time(8, 0), time(14, 0)]
    assert hours.intervals(3) == ()


def test_ORG_2_interval_must_open_before_it_closes() -> None:
    with pytest.raises(ValidationError):
        WeeklyInterval(weekday=1, opens=time(18, 0), closes=time(8, 0))
    with pytest.raises(ValidationError):
        WeeklyInterval(weekday=7, opens=time(8, 0), closes=time(9, 0))


# --- ORG-3 ------------------------------------------------------------------------------------


def _versions() -> list[PolicyVersion]:
    later = O_PRESET.model_copy(update={"arrive_early_minutes": 20})
    return [PolicyVersion(date(2020, 1, 1), O_PRESET), PolicyVersion(date(2027, 3, 1), later)]


def test_ORG_3_version_in_force_is_the_latest_effective_on_the_date() -> None:
    versions = _versions()
    assert policy_in_force(versions, date(2026, 11, 22)).effective_from == date(2020, 1, 1)
    assert policy_in_force(versions, date(2027, 2, 28)).policy.arrive_early_minutes == 10
    assert policy_in_force(versions, date(2027, 3, 1)).policy.arrive_early_minutes == 20
    assert policy_in_force(list(reversed(versions)), date(2030, 1, 1)).effective_from == date(2027, 3, 1)


def test_ORG_3_no_version_before_the_first_takes_effect() -> None:
    with pytest.raises(NoPolicyInForce) as err:
        policy_in_force(_versions(), date(2019, 12, 31))
    assert err.value.rule == "ORG-3"


def test_ORG_3_notice_is_five_working_days_of_the_country_calendar() -> None:
    # RU, published Friday 31 Oct 2025: Sat 1 Nov is a transferred working day, 3-4 Nov are off.
    # Working days after: 1, 5, 6, 7, 10 Nov -> the change may take effect on 10 Nov.
    assert earliest_effective_date(Country.RU, date(2025, 10, 31), 5) == date(2025, 11, 10)
    check_policy_change(Country.RU, date(2025, 10, 31), date(2025, 11, 10), 5)
    with pytest.raises(PolicyNoticeTooShort) as err:
        check_policy_change(Country.RU, date(2025, 10, 31), date(2025, 11, 7), 5)
    assert (err.value.code, err.value.rule) == ("policy_notice_too_short", "ORG-3")
    assert err.value.extra["earliest_effective_from"] == "2025-11-10"


def test_ORG_3_notice_of_an_ordinary_week() -> None:
    # KZ, published Monday 10 Nov 2025: Tue..Fri and the next Monday are the five working days.
    assert earliest_effective_date(Country.KZ, date(2025, 11, 10), 5) == date(2025, 11, 17)
    assert earliest_effective_date(Country.KZ, date(2025, 11, 10), 0) == date(2025, 11, 10)


def test_ORG_3_presets_need_five_working_days_notice() -> None:
    assert O_PRESET.offer_change_notice_working_days == 5  # O 15.1
    assert P_PRESET.offer_change_notice_working_days == 5


# --- the presets of the other rules ---------------------------------------------------------------


def test_SCH_2_presets_visit_length_15_to_40() -> None:
    for policy in (O_PRESET, P_PRESET):
        assert (policy.visit_minutes_min, policy.visit_minutes_max) == (15, 40)
        assert policy.visit_length_allowed(15) and policy.visit_length_allowed(40)
        assert not policy.visit_length_allowed(14) and not policy.visit_length_allowed(41)


def test_SCH_6_arrive_early_10_minutes_O_15_minutes_P() -> None:
    assert O_PRESET.arrive_early_minutes == 10  # O 3.13
    assert P_PRESET.arrive_early_minutes == 15  # P 5.2


@pytest.mark.parametrize(
    ("lateness", "visit", "expected"),
    [
        (0, 30, (S,)),
        (-5, 30, (S,)),
        (5, 30, (S, SH)),  # O 3.10: any lateness, a shortened visit
        (10, 30, (S, SH, R)),  # 33 % of 30 minutes: O conduct rules 2.3
        (9, 30, (S, SH)),  # exactly 30 %: not more than 30 %
        (11, 40, (S, SH, R, C)),  # more than 10 minutes: O 5.2.9 (27.5 % only)
        (15, 40, (S, SH, R, C)),
        (16, 40, (S, SH, R, C, F)),  # more than 15 minutes: O 3.7, O 6.1.14
    ],
)
def test_SCH_7_O_preset_lateness_tiers_are_cumulative(
    lateness: int, visit: int, expected: tuple[LatenessOption, ...]
) -> None:
    assert O_PRESET.lateness.options(lateness, visit) == expected


def test_SCH_7_O_preset_no_show_after_15_minutes_and_no_refund() -> None:
    assert O_PRESET.lateness.no_show_after_minutes == 15  # O 6.1.14
    assert O_PRESET.lateness.refund_visit_lost_to_lateness is False  # O 3.10


def test_SCH_7_P_preset_offers_another_practitioner_or_a_later_time() -> None:
    assert P_PRESET.lateness.options(0, 20) == (S,)
    assert P_PRESET.lateness.options(1, 20) == (S, R, T)  # P 5.3, P 12.2.9
    assert P_PRESET.lateness.options(45, 20) == (S, R, T)


def test_SCH_7_tier_needs_exactly_one_threshold() -> None:
    from scheduling.organization.domain import LatenessTier

    with pytest.raises(ValidationError):
        LatenessTier(options=(R,))
    with pytest.raises(ValidationError):
        LatenessTier(over_minutes=5, over_percent=30, options=(R,))


def test_SCH_14_default_queue_priority_emergency_first() -> None:
    assert P_PRESET.queue_priority == ("emergency", "returning", "on_time", "other")
    with pytest.raises(ValidationError):
        P_PRESET.model_validate({**P_PRESET.model_dump(), "queue_priority": ("emergency", "emergency")})


def test_SCH_13_debt_blocks_paid_booking_in_the_O_preset() -> None:
    assert O_PRESET.debt_blocks_paid_booking is True  # O 8.3


def test_BIL_16_distance_bands_are_not_scheduling_policy() -> None:
    """Issue 9: home-visits alone owns the base zone and its distance bands (zone.upserted); a
    policy naming them is refused, so no second copy can drift from the owner's."""
    for policy in (O_PRESET, P_PRESET):
        assert "distance_bands" not in policy.model_dump()
    with pytest.raises(ValidationError):
        Policy.model_validate({**P_PRESET.model_dump(), "distance_bands": [{"up_to_km": 15}]})


def test_SCH_3_booking_lead_time_per_channel() -> None:
    for policy in (O_PRESET, P_PRESET):
        assert policy.lead_minutes("registry") == 0
        assert policy.lead_minutes("website") == policy.lead_minutes("mobile_app") == 60
        assert policy.lead_minutes("call_center") == 30
    with pytest.raises(ValidationError):
        Policy.model_validate({**O_PRESET.model_dump(), "booking_lead_minutes": {"website": -1}})


def test_HV_3_home_visit_cutoffs_13_00_and_12_00() -> None:
    assert P_PRESET.home_visit_cutoff_working_day == time(13, 0)  # P 7.4
    assert P_PRESET.home_visit_cutoff_day_off == time(12, 0)
    assert P_PRESET.home_visit_intake_hours == daily(time(7, 30), time(22, 0))  # P 11.3


def test_REC_17_email_is_never_a_channel() -> None:
    for policy in (O_PRESET, P_PRESET):
        assert "email" not in policy.medical_info_channels
    with pytest.raises(ValidationError):
        Policy.model_validate({**O_PRESET.model_dump(), "medical_info_channels": ("email",)})


def test_ORG_3_presets_survive_the_json_round_trip_of_storage() -> None:
    for policy in (O_PRESET, P_PRESET):
        assert Policy.model_validate(policy.model_dump(mode="json")) == policy


def test_SCH_2_policy_refuses_an_inverted_range() -> None:
    with pytest.raises(ValidationError):
        Policy.model_validate({**O_PRESET.model_dump(), "visit_minutes_min": 45})


def test_ORG_4_working_days_of_the_notice_follow_the_organizations_own_calendar() -> None:
    """Published on Friday 11 December 2026 with 5 working days' notice: Kazakhstan's 16 December
    (Independence Day) does not count, so the change takes effect on the 21st there, the 18th in
    Russia. From Friday 19 February 2027, Russia works the transferred Saturday 20 but neither
    Monday 22 (the day off it moved) nor Tuesday 23 (a holiday): 1 March; Kazakhstan: 26 February."""
    assert earliest_effective_date(Country.KZ, date(2026, 12, 11), 5) == date(2026, 12, 21)
    assert earliest_effective_date(Country.RU, date(2026, 12, 11), 5) == date(2026, 12, 18)
    assert earliest_effective_date(Country.RU, date(2027, 2, 19), 5) == date(2027, 3, 1)
    assert earliest_effective_date(Country.KZ, date(2027, 2, 19), 5) == date(2027, 2, 26)


def test_REC_16_document_terms_and_visit_reminders_are_policy_that_records_reads() -> None:
    """Records takes the reminder lead times and document terms from the policy scheduling announces."""
    for policy in (O_PRESET, P_PRESET):
        dumped = policy.model_dump(mode="json")
        assert dumped["reminder_lead_minutes"] == [1440, 120]
        assert dumped["document_due_working_days"] == {"copy": 3, "extract": 5, "certificate": 3}
    with pytest.raises(ValidationError):
        O_PRESET.model_validate({**O_PRESET.model_dump(), "reminder_lead_minutes": [0]})
    with pytest.raises(ValidationError):
        O_PRESET.model_validate({**O_PRESET.model_dump(), "document_due_working_days": {"copy": -1}})
