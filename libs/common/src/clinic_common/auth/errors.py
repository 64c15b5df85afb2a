"""The refusals of the auth layer and the access policies, rendered by the common problem+json handler."""

from __future__ import annotations

from typing import Any

from clinic_common.errors import AppError


class Unauthenticated(AppError):
    """401: no usable bearer token. Carries WWW-Authenticate as RFC 6750 asks."""

    status = 401
    code = "unauthenticated"
    title = "Authentication required"

    def __init__(self, detail: str | None = None, *, invalid_token: bool = False, **extra: Any) -> None:
        super().__init__(detail, **extra)
        # RFC 6750 §3: a missing token gets a bare challenge, a rejected one says why in `error`.
        self.headers = {"WWW-Authenticate": 'Bearer error="invalid_token"' if invalid_token else "Bearer"}


class ForbiddenRole(AppError):
    """403: the token is valid but none of its roles may call this route."""

    status = 403
    code = "forbidden_role"
    title = "Role not allowed"


class OrganizationForbidden(AppError):
    """403: the caller may not take this action for that organization (organizations are public,
    so saying so reveals nothing)."""

    status = 403
    code = "organization_forbidden"
    title = "The caller does not act for this organization"


class BranchForbidden(AppError):
    """403: the token's `branch_ids` do not include the branch the action concerns."""

    status = 403
    code = "branch_forbidden"
    title = "The caller does not act for this branch"


class CabinetAccessRequired(AppError):
    """403: a patient token acts only once the registry has opened the personal cabinet in person,
    and not while the organization restricts it (REC-19, architecture.md § Security)."""

    status = 403
    code = "cabinet_access_required"
    title = "The personal cabinet is not open for this patient"
    rule = "REC-19"
