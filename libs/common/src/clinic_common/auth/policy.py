"""Building blocks of every service's access policy (`<service>/access.py`): who may act on an object.

A `Grant` names who may take one action: staff roles, which act for their organization (and, with
`branch_ids` in the token, only those branches), and whether a patient may take it for themselves.

Several roles in one token (architecture.md § Security; a receptionist who is also a patient of
the clinic) add up, action by action, and never switch a limit off:

- if any of the token's staff roles is granted the action, the staff scope decides: the object's
  organization must be the token's `org` (any organization for an `admin` without `org`) and, when
  the object belongs to a branch and the token lists `branch_ids`, one of those branches;
- otherwise, if the action is granted to `patient`, the patient scope decides: only the caller's own
  person (`patient_id`, in the token's `org`); a representative's or trusted person's links (REC-5,
  REC-7) will widen `acts_for` when records serves them;
- otherwise the action is not allowed.

So `patient` + `home_doctor` may not read another patient's appointment, since neither role is
granted that, while `patient` + `registrar` may, since the registrar is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fastapi import Depends, Request

from clinic_common.auth.deps import PrincipalDep, RoleChecker
from clinic_common.auth.principal import ALL_ROLES, Principal, Role


@dataclass(frozen=True, slots=True)
class Grant:
    """Who may take one action; `staff` roles act for their organization, `patient` for themselves."""

    staff: frozenset[str]
    patient: bool = False

    def __post_init__(self) -> None:
        unknown = self.staff - ALL_ROLES
        if unknown or Role.PATIENT in self.staff:
            raise ValueError(f"Grant.staff takes staff roles only; got {sorted(self.staff)}")

    @classmethod
    def of(cls, *staff: str | Role, patient: bool = False) -> Grant:
        return cls(frozenset(str(r) for r in staff), patient)

    @property
    def roles(self) -> frozenset[str]:
        """Every role that passes the route's role check (403 `forbidden_role` for the others)."""
        return (self.staff | {Role.PATIENT.value}) if self.patient else self.staff

    def dependency(self) -> Any:
        """The route's role declaration, `Annotated[Principal, grant.dependency()]`; a caller in the
        patient scope must also have an open personal cabinet (REC-19, `clinic_common.cabinet`)."""
        return Depends(GrantChecker(self))

    def as_staff(self, principal: Principal) -> bool:
        """True when one of the caller's staff roles is granted this action (staff scope applies)."""
        return not principal.roles.isdisjoint(self.staff)

    def allows(
        self,
        principal: Principal,
        *,
        org_id: UUID,
        branch_id: UUID | None = None,
        patient_id: UUID | None = None,
    ) -> bool:
        """May the caller take this action on an object of `org_id` (at `branch_id`, about `patient_id`)?"""
        if self.as_staff(principal):
            return in_scope(principal, org_id, branch_id)
        if self.patient and Role.PATIENT in principal.roles:
            return patient_id is not None and acts_for(principal, patient_id, org_id)
        return False


def same_org(principal: Principal, org_id: UUID) -> bool:
    """Staff act for their own organization; an admin token without `org` for all of them."""
    return principal.can_access_org(org_id)


def in_branch(principal: Principal, org_id: UUID, branch_id: UUID) -> bool:
    """The branch is in the caller's organization and, if the token lists `branch_ids`, among them
    (`branch_ids` absent means every branch of `org`; an empty list means none)."""
    return principal.can_access_branch(branch_id, org_id=org_id)


def in_scope(principal: Principal, org_id: UUID, branch_id: UUID | None) -> bool:
    """Staff scope of an object: its organization, and its branch when it has one."""
    return in_branch(principal, org_id, branch_id) if branch_id is not None else same_org(principal, org_id)


def acts_for(principal: Principal, patient_id: UUID, org_id: UUID) -> bool:
    """The caller is this person (their own `patient_id`, in the token's organization)."""
    return (
        principal.patient_id is not None
        and principal.patient_id == patient_id
        and principal.org_id is not None
        and principal.org_id == org_id
    )


class GrantChecker(RoleChecker):
    """The role check of a `Grant`, plus the cabinet gate for callers in its patient scope (REC-19).

    A `RoleChecker`, so `route_role_table` reads the declared roles off it."""

    __slots__ = ("grant",)

    def __init__(self, grant: Grant) -> None:
        super().__init__(grant.roles)
        self.grant = grant

    async def __call__(self, principal: PrincipalDep, request: Request) -> Principal:  # type: ignore[override]
        await super().__call__(principal)
        if self.grant.patient and not self.grant.as_staff(principal):
            from clinic_common.cabinet import require_open_cabinet  # the gate reads the database

            await require_open_cabinet(request, principal)
        return principal

    def __repr__(self) -> str:
        return f"GrantChecker({sorted(self.roles)})"
