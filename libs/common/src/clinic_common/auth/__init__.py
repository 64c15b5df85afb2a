"""Authentication and role checks every service uses the same way (architecture.md § Security)."""

from clinic_common.auth.deps import (
    PUBLIC,
    PrincipalDep,
    PrincipalVerifier,
    RoleChecker,
    RouteRoles,
    bearer_scheme,
    get_principal,
    render_role_table_markdown,
    require_roles,
    route_role_table,
)
from clinic_common.auth.errors import BranchForbidden, ForbiddenRole, OrganizationForbidden, Unauthenticated
from clinic_common.auth.policy import Grant
from clinic_common.auth.principal import ALL_ROLES, Principal, Role
from clinic_common.auth.verify import ALGORITHMS, TokenVerifier, VerifierSettings, principal_from_claims

__all__ = [
    "ALGORITHMS",
    "ALL_ROLES",
    "PUBLIC",
    "BranchForbidden",
    "ForbiddenRole",
    "Grant",
    "OrganizationForbidden",
    "Principal",
    "PrincipalDep",
    "PrincipalVerifier",
    "Role",
    "RoleChecker",
    "RouteRoles",
    "TokenVerifier",
    "Unauthenticated",
    "VerifierSettings",
    "bearer_scheme",
    "get_principal",
    "principal_from_claims",
    "render_role_table_markdown",
    "require_roles",
    "route_role_table",
]
