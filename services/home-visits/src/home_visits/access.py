"""Who may see and change what in home visits: the service's one access policy.

Routes declare `GRANT.dependency()` (the role check, 403 `forbidden_role`); use cases call the
checks below. Several roles in one token follow `clinic_common.auth.policy`.
"""

from __future__ import annotations

from uuid import UUID

from clinic_common.auth import Grant, OrganizationForbidden, Principal, Role

READ_ZONES = Grant.of(
    Role.DISPATCHER,
    Role.REGISTRAR,
    Role.CALL_CENTER,
    Role.HOME_DOCTOR,
    Role.DIRECTOR,
    Role.ADMIN,
)
"""HV-4: those who take home-visit requests (registry, call centre), dispatch them, make them, or run
the organization decide which branch serves an address."""


def check_can_read_zones(principal: Principal, organization_id: UUID) -> None:
    """403 `organization_forbidden` for another organization. Zones decide between the branches, so
    staff limited by `branch_ids` still see all of their organization's zones (HV-4 needs them)."""
    if not READ_ZONES.allows(principal, org_id=organization_id):
        raise OrganizationForbidden()
