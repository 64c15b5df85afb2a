"""Scheduling's access policy on plain objects: what a list of appointments may contain."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest

from clinic_common.auth import Principal

from scheduling.access import AppointmentFilter, visible_appointments

pytestmark = pytest.mark.unit

ORG, BRANCH, ME = uuid4(), uuid4(), uuid4()


def who(*roles: str, org: UUID | None = ORG, **claims: Any) -> Principal:
    return Principal(subject="u", roles=frozenset(roles), org_id=org, **claims)


def test_staff_list_their_organization_and_branches() -> None:
    assert visible_appointments(who("registrar")) == AppointmentFilter(ORG, None, None)
    limited = who("registrar", branch_ids=frozenset({BRANCH}))
    assert visible_appointments(limited) == AppointmentFilter(ORG, frozenset({BRANCH}), None)
    assert visible_appointments(who("admin", org=None)) == AppointmentFilter(None, None, None)


def test_a_patient_lists_their_own_even_with_a_role_not_granted_reading() -> None:
    for roles in (("patient",), ("patient", "home_doctor"), ("patient", "insurer")):
        assert visible_appointments(who(*roles, patient_id=ME)) == AppointmentFilter(ORG, None, ME)


def test_a_patient_token_without_its_person_lists_nothing() -> None:
    assert visible_appointments(who("patient")) == AppointmentFilter(ORG, frozenset(), None)
