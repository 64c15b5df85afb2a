"""The demo data itself, without a database: it obeys the rules the seed will check, and it gives
every branch a usable week (ORG-2, SCH-1, SCH-2, SCH-5)."""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

import pytest

from clinic_common.demo import (
    ALMATY_BRANCH_IDS,
    MOSCOW_BRANCH_IDS,
    ORG_ALMATY_ID,
    ORG_MOSCOW_ID,
    demo_id,
    practitioner_id,
)

from scheduling.demo import ORGANIZATIONS, demo_practitioners, demo_shifts
from scheduling.organization.domain import WeeklyInterval, check_weekly_hours
from scheduling.practitioner.domain import (
    WeeklyShift,
    check_no_overlap,
    check_shift_within_opening_hours,
    check_visit_durations,
)

pytestmark = pytest.mark.unit

ORGS = {o.id: o for o in ORGANIZATIONS}


def branch_hours() -> dict[UUID, list[WeeklyInterval]]:
    result = {}
    for org in ORGANIZATIONS:
        policy = org.policy_versions[0].policy
        for b in org.branches:
            result[b.id] = list(b.opening_hours if b.opening_hours is not None else policy.opening_hours)
    return result


def test_ORG_1_two_preset_organizations() -> None:
    almaty, moscow = ORGS[ORG_ALMATY_ID], ORGS[ORG_MOSCOW_ID]
    assert (almaty.name, almaty.country, almaty.currency, almaty.time_zone) == (
        "Almaty medical centre",
        "KZ",
        "KZT",
        "Asia/Almaty",
    )
    assert (moscow.name, moscow.country, moscow.currency, moscow.time_zone) == (
        "Moscow polyclinic network",
        "RU",
        "RUB",
        "Europe/Moscow",
    )
    assert almaty.policy_versions[0].policy.preset == "O"
    assert moscow.policy_versions[0].policy.preset == "P"
    assert tuple(b.id for b in almaty.branches) == ALMATY_BRANCH_IDS
    assert tuple(b.id for b in moscow.branches) == MOSCOW_BRANCH_IDS


def test_ORG_2_branches_have_addresses_and_points_in_their_city() -> None:
    for org in ORGANIZATIONS:
        for b in org.branches:
            assert b.address and b.lat is not None and b.lon is not None
            if org.id == ORG_ALMATY_ID:
                assert 43.1 < b.lat < 43.4 and 76.7 < b.lon < 77.1
            else:
                assert 55.5 < b.lat < 55.95 and 37.3 < b.lon < 37.9
        for hours in branch_hours().values():
            check_weekly_hours(hours)


def test_SCH_1_at_least_four_practitioners_per_branch_and_two_home_care_in_Moscow() -> None:
    clinic: dict[UUID, set[UUID]] = defaultdict(set)
    home: dict[UUID, set[UUID]] = defaultdict(set)
    for p in demo_practitioners():
        for b in p.branch_ids:
            (home if p.home_care else clinic)[b].add(p.id)
    for b in ALMATY_BRANCH_IDS + MOSCOW_BRANCH_IDS:
        assert len(clinic[b]) >= 4, b
        specialties = {p.specialty for p in demo_practitioners() if p.id in clinic[b]}
        assert len(specialties) >= 4, b
    for b in MOSCOW_BRANCH_IDS:
        assert len(home[b]) >= 2, b
    assert not any(home[b] for b in ALMATY_BRANCH_IDS)


def test_SCH_1_practitioner_ids_are_the_shared_fixed_ids() -> None:
    ids = [p.id for p in demo_practitioners()]
    assert len(ids) == len(set(ids))
    assert practitioner_id(ORG_ALMATY_ID, 1, 1) in ids
    assert practitioner_id(ORG_MOSCOW_ID, 2, 6) in ids
    for s in demo_shifts():
        assert s.id == demo_id("shift", s.practitioner_id, s.weekday)


def test_SCH_2_demo_visit_lengths_fit_each_organizations_policy() -> None:
    for p in demo_practitioners():
        policy = ORGS[p.organization_id].policy_versions[0].policy
        check_visit_durations({k.value: v for k, v in p.visit_durations.items()}, policy)


def test_SCH_5_demo_shifts_lie_inside_branch_hours_and_never_overlap() -> None:
    hours = {b: check_weekly_hours(h) for b, h in branch_hours().items()}
    by_practitioner: dict[UUID, list[WeeklyShift]] = defaultdict(list)
    branches = {p.id: set(p.branch_ids) for p in demo_practitioners()}
    for s in demo_shifts():
        weekly = WeeklyShift(
            id=s.id,
            branch_id=s.branch_id,
            weekday=s.weekday,
            starts=s.starts,
            ends=s.ends,
            valid_from=s.valid_from,
            valid_to=s.valid_to,
        )
        assert s.branch_id in branches[s.practitioner_id]
        check_shift_within_opening_hours(weekly, hours[s.branch_id])
        check_no_overlap(weekly, by_practitioner[s.practitioner_id])
        by_practitioner[s.practitioner_id].append(weekly)
    assert set(by_practitioner) == set(branches)  # everyone works


def test_SCH_5_every_open_day_of_every_branch_has_clinic_shifts_valid_on_any_date() -> None:
    home_care = {p.id for p in demo_practitioners() if p.home_care}
    covered: dict[UUID, set[int]] = defaultdict(set)
    for s in demo_shifts():
        assert s.valid_to is None and s.valid_from.year <= 2020
        if s.practitioner_id not in home_care:
            covered[s.branch_id].add(s.weekday)
    for branch, hours in branch_hours().items():
        open_days = {i.weekday for i in hours}
        assert covered[branch] == open_days, branch
        assert {5, 6} & open_days  # some weekend shifts everywhere
