"""Who may see and change what in billing: the service's one access policy.

Routes declare `GRANT.dependency()` (the role check, 403 `forbidden_role`); use cases call the
checks below. Several roles in one token follow `clinic_common.auth.policy`. The price list in force
is public (BIL-1) and needs no check.
"""

from __future__ import annotations

from uuid import UUID

from clinic_common.auth import Grant, OrganizationForbidden, Principal, Role

PUBLISH_PRICE_LIST = Grant.of(Role.DIRECTOR, Role.ADMIN)
"""BIL-1: a new version is approved by an order of the organization's director."""


def check_can_publish_price_list(principal: Principal, organization_id: UUID) -> None:
    """403 `organization_forbidden` for another organization's price list; price lists belong to the
    organization, not a branch, so `branch_ids` does not narrow this."""
    if not PUBLISH_PRICE_LIST.allows(principal, org_id=organization_id):
        raise OrganizationForbidden()
