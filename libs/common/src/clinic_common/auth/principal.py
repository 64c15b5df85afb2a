"""Who is calling: the verified claims of a bearer token, in the shape rules need."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final
from uuid import UUID


class Role(StrEnum):
    """Every role a token may carry (architecture.md § Security); unknown roles are refused."""

    PATIENT = "patient"
    REGISTRAR = "registrar"
    CALL_CENTER = "call_center"
    CASHIER = "cashier"
    DOCTOR = "doctor"
    NURSE = "nurse"
    HOME_DOCTOR = "home_doctor"
    DISPATCHER = "dispatcher"
    DIRECTOR = "director"
    PRIVACY_OFFICER = "privacy_officer"
    INSURER = "insurer"
    ADMIN = "admin"
    SERVICE = "service"


ALL_ROLES: Final[frozenset[str]] = frozenset(r.value for r in Role)

WORKING_STAFF: Final[tuple[Role, ...]] = (
    Role.REGISTRAR,
    Role.CALL_CENTER,
    Role.CASHIER,
    Role.DOCTOR,
    Role.NURSE,
    Role.HOME_DOCTOR,
    Role.DISPATCHER,
    Role.DIRECTOR,
    Role.ADMIN,
)
"""The organization's working staff: every staff role but the privacy officer, insurers and services."""
"""Plain strings, so `"admin" in ALL_ROLES` and role claims compare without conversion."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller. Immutable so a dependency cannot widen it after verification."""

    subject: str
    roles: frozenset[str]
    org_id: UUID | None
    patient_id: UUID | None = None
    staff_id: UUID | None = None
    branch_ids: frozenset[UUID] | None = None
    """None means every branch of `org_id`; an empty set means none."""
    insurer_id: UUID | None = None

    def has_any(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    def can_access_org(self, org_id: UUID) -> bool:
        """Staff see their own organization only; an admin token without `org` spans all of them."""
        if self.org_id is None:
            return self.is_admin
        return self.org_id == org_id

    def can_access_branch(self, branch_id: UUID, *, org_id: UUID | None = None) -> bool:
        """Branch check; pass the branch's `org_id` too, since `branch_ids=None` only means "all of
        my organization's branches" and says nothing about another organization's."""
        if org_id is not None and not self.can_access_org(org_id):
            return False
        return self.branch_ids is None or branch_id in self.branch_ids
