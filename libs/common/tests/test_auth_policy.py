"""Access-policy building blocks: organization, branch and own-patient scopes, and what a token with
several roles may do (clinic_common.auth.policy)."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from clinic_common.auth import Grant, Principal, Role
from clinic_common.auth.policy import acts_for, in_branch, in_scope, same_org

pytestmark = pytest.mark.unit

ORG, OTHER_ORG = uuid4(), uuid4()
BRANCH_A, BRANCH_B = uuid4(), uuid4()
ME, SOMEONE_ELSE = uuid4(), uuid4()

READ = Grant.of(Role.REGISTRAR, Role.DOCTOR, Role.ADMIN, patient=True)
STAFF_ONLY = Grant.of(Role.REGISTRAR)


def who(
    *roles: str,
    org: UUID | None = ORG,
    branches: set[UUID] | None = None,
    patient: UUID | None = None,
) -> Principal:
    return Principal(
        subject="u",
        roles=frozenset(roles),
        org_id=org,
        patient_id=patient,
        branch_ids=frozenset(branches) if branches is not None else None,
    )


def test_staff_act_for_their_organization_only() -> None:
    registrar = who("registrar")
    assert READ.allows(registrar, org_id=ORG)
    assert not READ.allows(registrar, org_id=OTHER_ORG)
    assert same_org(who("admin", org=None), OTHER_ORG)  # admin across organizations
    assert not same_org(who("admin"), OTHER_ORG)  # an admin token with `org` is limited to it


def test_branch_ids_limit_staff_and_absent_means_every_branch() -> None:
    limited = who("registrar", branches={BRANCH_A})
    assert READ.allows(limited, org_id=ORG, branch_id=BRANCH_A)
    assert not READ.allows(limited, org_id=ORG, branch_id=BRANCH_B)
    assert READ.allows(who("registrar"), org_id=ORG, branch_id=BRANCH_B)
    assert not READ.allows(who("registrar", branches=set()), org_id=ORG, branch_id=BRANCH_A)
    # `branch_ids` absent means the branches of `org`, never another organization's.
    assert not in_branch(who("registrar"), OTHER_ORG, BRANCH_B)
    assert in_scope(limited, ORG, None)  # an object without a branch: the organization decides


def test_a_patient_acts_for_their_own_person_only() -> None:
    me = who("patient", patient=ME)
    assert READ.allows(me, org_id=ORG, patient_id=ME)
    assert not READ.allows(me, org_id=ORG, patient_id=SOMEONE_ELSE)
    assert not READ.allows(me, org_id=OTHER_ORG, patient_id=ME)  # own id, other organization
    assert not READ.allows(me, org_id=ORG)  # an object about no patient
    assert not READ.allows(who("patient"), org_id=ORG, patient_id=ME)  # no patient_id claim
    assert not STAFF_ONLY.allows(me, org_id=ORG, patient_id=ME)
    assert acts_for(me, ME, ORG) and not acts_for(who("patient", org=None, patient=ME), ME, ORG)


@pytest.mark.parametrize("extra", ["home_doctor", "dispatcher", "insurer", "privacy_officer", "service"])
def test_an_extra_role_not_granted_the_action_keeps_the_patient_limit(extra: str) -> None:
    """Issue 5: `roles == {"patient"}` let any extra role switch the own-data check off."""
    both = who("patient", extra, patient=ME)
    assert READ.allows(both, org_id=ORG, patient_id=ME)
    assert not READ.allows(both, org_id=ORG, patient_id=SOMEONE_ELSE)


def test_an_extra_staff_role_granted_the_action_brings_its_staff_scope() -> None:
    both = who("patient", "registrar", patient=ME, branches={BRANCH_A})
    assert READ.allows(both, org_id=ORG, branch_id=BRANCH_A, patient_id=SOMEONE_ELSE)
    # ... and only that scope: the registrar's branches still bound it, even for the own record.
    assert not READ.allows(both, org_id=ORG, branch_id=BRANCH_B, patient_id=ME)
    assert not READ.allows(both, org_id=OTHER_ORG, patient_id=SOMEONE_ELSE)


def test_grant_roles_are_the_route_declaration() -> None:
    assert READ.roles == {"registrar", "doctor", "admin", "patient"}
    assert STAFF_ONLY.roles == {"registrar"}
    with pytest.raises(ValueError, match="staff roles only"):
        Grant.of(Role.PATIENT)
    with pytest.raises(ValueError, match="staff roles only"):
        Grant.of("superuser")
