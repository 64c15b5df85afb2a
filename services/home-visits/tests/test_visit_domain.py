"""HV-1, HV-2, HV-3, HV-5, HV-6, HV-7, HV-9: the rules of requests and their lifecycle, no database."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from uuid import uuid4

import pytest

from clinic_common.calendar import Country, is_working_day
from clinic_common.policy import policy_in_force

from home_visits.enrollment.domain import Enrollment
from home_visits.organization.domain import HomeVisitPolicy, parse_policy
from home_visits.visit import domain
from home_visits.visit.domain import FalseCallReason, VisitKind, VisitStatus
from home_visits.zone.domain import INCLUDED, DistanceBand, ZoneDecision

pytestmark = pytest.mark.unit

MOSCOW = "Europe/Moscow"  # UTC+3 all year
P = HomeVisitPolicy()  # P 7.4: 13:00 working days, 12:00 weekends and holidays


def utc(y: int, m: int, d: int, hh: int, mm: int) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


# HV-3: the cutoff table, from UTC input, computed in Moscow time (UTC+3).
# 2026-11-25 is a Wednesday (working day), 2026-11-28 a Saturday, 2026-11-04 Unity Day (a holiday).
CUTOFF_TABLE = [
    ("working day 12:59", utc(2026, 11, 25, 9, 59), date(2026, 11, 25)),
    ("working day 13:00", utc(2026, 11, 25, 10, 0), date(2026, 11, 26)),
    ("working day 13:01", utc(2026, 11, 25, 10, 1), date(2026, 11, 26)),
    ("Saturday 11:59", utc(2026, 11, 28, 8, 59), date(2026, 11, 28)),
    ("Saturday 12:00", utc(2026, 11, 28, 9, 0), date(2026, 11, 29)),
    ("holiday 11:59", utc(2026, 11, 4, 8, 59), date(2026, 11, 4)),
    ("holiday 12:00", utc(2026, 11, 4, 9, 0), date(2026, 11, 5)),
    ("holiday 12:59 (a working day would still be same-day)", utc(2026, 11, 4, 9, 59), date(2026, 11, 5)),
]


def test_HV_3_cutoff_table_days_are_what_they_say() -> None:
    assert is_working_day(Country.RU, date(2026, 11, 25))
    assert not is_working_day(Country.RU, date(2026, 11, 28))
    assert date(2026, 11, 4).weekday() == 2 and not is_working_day(Country.RU, date(2026, 11, 4))


@pytest.mark.parametrize(("case", "received", "expected"), CUTOFF_TABLE, ids=[c[0] for c in CUTOFF_TABLE])
def test_HV_3_same_day_cutoff_in_moscow_time(case: str, received: datetime, expected: date) -> None:
    assert domain.scheduled_for(VisitKind.PLANNED, received, MOSCOW, Country.RU, P) == expected


def test_HV_3_the_local_date_decides_not_the_utc_date() -> None:
    # 22:30 UTC on the 24th is 01:30 on Wednesday the 25th in Moscow: the same (local) day.
    assert domain.scheduled_for(VisitKind.PLANNED, utc(2026, 11, 24, 22, 30), MOSCOW, Country.RU, P) == date(
        2026, 11, 25
    )


def test_HV_3_cutoffs_are_policy() -> None:
    policy = parse_policy(
        {"home_visit_cutoff_working_day": "15:00:00", "home_visit_cutoff_day_off": "10:00:00"}
    )
    assert domain.scheduled_for(
        VisitKind.PLANNED, utc(2026, 11, 25, 11, 30), MOSCOW, Country.RU, policy
    ) == date(2026, 11, 25)
    assert domain.scheduled_for(
        VisitKind.PLANNED, utc(2026, 11, 28, 7, 30), MOSCOW, Country.RU, policy
    ) == date(2026, 11, 29)


def test_HV_3_policy_version_in_force_is_read_by_date() -> None:
    versions = [
        {"effective_from": "2026-01-01", "policy": {"home_visit_cutoff_working_day": "13:00:00"}},
        {"effective_from": "2026-12-01", "policy": {"home_visit_cutoff_working_day": "14:00:00"}},
    ]
    assert parse_policy(policy_in_force(versions, date(2026, 11, 30), {})).cutoff_working_day == time(13)
    assert parse_policy(policy_in_force(versions, date(2026, 12, 1), {})).cutoff_working_day == time(14)


def test_HV_2_urgent_is_served_the_same_day_after_the_cutoff() -> None:
    assert domain.scheduled_for(VisitKind.URGENT, utc(2026, 11, 28, 20, 0), MOSCOW, Country.RU, P) == date(
        2026, 11, 28
    )


def enrollment(urgent: bool, *, status: str = "active") -> Enrollment:
    return Enrollment(uuid4(), uuid4(), uuid4(), date(2026, 1, 1), date(2026, 12, 31), urgent, status)


def test_HV_2_program_without_urgent_care_gets_planned_visits_only() -> None:
    with pytest.raises(domain.UrgentNotInProgram) as exc:
        domain.check_kind(VisitKind.URGENT, enrollment(urgent=False))
    assert exc.value.code == "urgent_not_in_program" and exc.value.rule == "HV-2"
    domain.check_kind(VisitKind.PLANNED, enrollment(urgent=False))
    domain.check_kind(VisitKind.URGENT, enrollment(urgent=True))
    domain.check_kind(VisitKind.URGENT, None)  # no program: an urgent visit at the price list


def test_HV_3_planned_requests_only_in_intake_hours_urgent_around_the_clock() -> None:
    policy = parse_policy(
        {
            "home_visit_intake_hours": [
                {"weekday": d, "opens": "07:30:00", "closes": "22:00:00"} for d in range(7)
            ]
        }
    )
    late = datetime(2026, 11, 25, 22, 30)
    with pytest.raises(domain.OutsideIntakeHours):
        domain.check_intake(VisitKind.PLANNED, late, policy)
    domain.check_intake(VisitKind.URGENT, late, policy)
    domain.check_intake(VisitKind.PLANNED, datetime(2026, 11, 25, 7, 30), policy)
    domain.check_intake(VisitKind.PLANNED, late, HomeVisitPolicy())  # no intake hours: any time


@pytest.mark.parametrize(("needs_clinic", "state_allows"), [(True, True), (False, False), (True, False)])
def test_HV_1_no_home_visit_when_clinic_conditions_are_needed_or_the_state_forbids(
    needs_clinic: bool, state_allows: bool
) -> None:
    with pytest.raises(domain.ClinicConditionsNeeded) as exc:
        domain.check_home_care_possible(needs_clinic, state_allows)
    assert exc.value.rule == "HV-1"


def test_HV_1_home_visit_possible() -> None:
    domain.check_home_care_possible(False, True)


INSIDE = ZoneDecision(uuid4(), uuid4(), True, 0.0, INCLUDED, True)
OUTSIDE = ZoneDecision(uuid4(), None, False, 12.3, DistanceBand(15, 15), True)
FEVER = {"temperature_above_38": True}


@pytest.mark.parametrize("indication", domain.INDICATIONS)
def test_HV_5_any_indication_is_covered_under_the_program(indication: str) -> None:
    c = domain.local_coverage(
        kind=VisitKind.PLANNED,
        day=date(2026, 6, 1),
        enrollment=enrollment(True),
        answers={indication: True},
        zone=INSIDE,
        program_address_band_agreed=False,
    )
    assert c.covered


def test_HV_5_no_indication_under_a_program_is_charged_and_recorded() -> None:
    c = domain.local_coverage(
        kind=VisitKind.PLANNED,
        day=date(2026, 6, 1),
        enrollment=enrollment(True),
        answers={name: False for name in domain.INDICATIONS},
        zone=INSIDE,
        program_address_band_agreed=False,
    )
    assert not c.covered
    assert [r.rule for r in c.reasons] == ["HV-5"]


def test_BIL_15_outside_the_base_zone_is_charged_unless_a_program_address_band_was_agreed() -> None:
    kwargs = {
        "kind": VisitKind.PLANNED,
        "day": date(2026, 6, 1),
        "enrollment": enrollment(True),
        "answers": FEVER,
    }
    charged = domain.local_coverage(**kwargs, zone=OUTSIDE, program_address_band_agreed=False)  # type: ignore[arg-type]
    agreed = domain.local_coverage(**kwargs, zone=OUTSIDE, program_address_band_agreed=True)  # type: ignore[arg-type]
    assert not charged.covered and "BIL-15" in [r.rule for r in charged.reasons]
    assert agreed.covered and "BIL-16" in [r.rule for r in agreed.reasons]


def test_BIL_12_no_program_means_charged_and_BIL_14_outside_the_period() -> None:
    no_program = domain.local_coverage(
        kind=VisitKind.PLANNED,
        day=date(2026, 6, 1),
        enrollment=None,
        answers=FEVER,
        zone=INSIDE,
        program_address_band_agreed=False,
    )
    assert not no_program.covered
    after = domain.local_coverage(
        kind=VisitKind.PLANNED,
        day=date(2027, 1, 2),
        enrollment=enrollment(True),
        answers=FEVER,
        zone=INSIDE,
        program_address_band_agreed=False,
    )
    assert not after.covered and "BIL-14" in [r.rule for r in after.reasons]


# HV-9: the lifecycle


HAPPY_PATH = [VisitStatus.SCHEDULED, VisitStatus.ASSIGNED, VisitStatus.EN_ROUTE, VisitStatus.ARRIVED]


def test_HV_9_happy_path_and_every_outcome_from_arrival() -> None:
    for current, target in itertools.pairwise(HAPPY_PATH):
        domain.check_transition(current, target)
    domain.check_transition(VisitStatus.REQUESTED, VisitStatus.SCHEDULED)
    domain.check_transition(VisitStatus.ARRIVED, VisitStatus.COMPLETED)
    domain.check_transition(VisitStatus.ARRIVED, VisitStatus.FALSE_CALL)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (VisitStatus.ARRIVED, VisitStatus.ARRIVED),  # arrival recorded twice
        (VisitStatus.SCHEDULED, VisitStatus.ARRIVED),
        (VisitStatus.SCHEDULED, VisitStatus.COMPLETED),
        (VisitStatus.EN_ROUTE, VisitStatus.FALSE_CALL),
        (VisitStatus.ARRIVED, VisitStatus.CANCELLED),
        (VisitStatus.ARRIVED, VisitStatus.POSTPONED),
        (VisitStatus.COMPLETED, VisitStatus.CANCELLED),
        (VisitStatus.CANCELLED, VisitStatus.ASSIGNED),
        (VisitStatus.POSTPONED, VisitStatus.EN_ROUTE),
        (VisitStatus.FALSE_CALL, VisitStatus.COMPLETED),
    ],
)
def test_HV_9_other_steps_are_invalid_transitions(current: VisitStatus, target: VisitStatus) -> None:
    with pytest.raises(domain.InvalidTransition) as exc:
        domain.check_transition(current, target)
    assert (exc.value.status, exc.value.code) == (409, "invalid_transition")


def test_HV_9_end_states_have_no_way_out() -> None:
    for end in (VisitStatus.COMPLETED, VisitStatus.FALSE_CALL, VisitStatus.POSTPONED, VisitStatus.CANCELLED):
        assert domain.TRANSITIONS[end] == frozenset()


# HV-7: preparation clock and false-call reasons

ARRIVED = utc(2026, 11, 25, 9, 0)


def test_HV_7_preparation_clock_is_15_minutes_from_arrival() -> None:
    assert domain.preparation_deadline(ARRIVED) == ARRIVED + timedelta(minutes=15)


def test_HV_7_false_call_for_preparation_only_after_15_minutes() -> None:
    reason = FalseCallReason.PREPARATION_OVER_15_MIN
    for now in (ARRIVED, ARRIVED + timedelta(minutes=15)):
        with pytest.raises(domain.PreparationNotOver):
            domain.check_false_call(reason, under_program=False, arrived_at=ARRIVED, now=now)
    domain.check_false_call(
        reason, under_program=False, arrived_at=ARRIVED, now=ARRIVED + timedelta(minutes=15, seconds=1)
    )


@pytest.mark.parametrize("reason", sorted(domain.PROGRAM_ONLY_REASONS))
def test_HV_7_program_only_reasons_refused_for_other_patients(reason: FalseCallReason) -> None:
    with pytest.raises(domain.FalseCallReasonNotAllowed) as exc:
        domain.check_false_call(reason, under_program=False, arrived_at=ARRIVED, now=ARRIVED)
    assert exc.value.rule == "HV-7"
    domain.check_false_call(reason, under_program=True, arrived_at=ARRIVED, now=ARRIVED)


@pytest.mark.parametrize(
    "reason",
    [
        FalseCallReason.PATIENT_ABSENT,
        FalseCallReason.DOCTOR_REFUSED_ENTRY,
        FalseCallReason.CARE_REFUSED,
        FalseCallReason.OTHER_PATIENT_SIDE,
    ],
)
def test_HV_7_patient_side_reasons_for_everyone(reason: FalseCallReason) -> None:
    domain.check_false_call(reason, under_program=False, arrived_at=ARRIVED, now=ARRIVED)


def test_HV_7_reasons_are_api_mds_enumeration() -> None:
    assert {r.value for r in FalseCallReason} == {
        "patient_absent",
        "doctor_refused_entry",
        "preparation_over_15_min",
        "care_refused",
        "no_indications",
        "no_home_regime_needed",
        "other_patient_side",
    }


# HV-6: force majeure


def test_HV_6_postponed_to_the_next_day() -> None:
    assert domain.postponed_to(date(2026, 11, 25), date(2026, 11, 25)) == date(2026, 11, 26)
    assert domain.postponed_to(date(2026, 11, 25), date(2026, 11, 27)) == date(2026, 11, 28)
    assert domain.postponed_to(date(2026, 11, 25), date(2026, 11, 20)) == date(2026, 11, 26)  # never the past
