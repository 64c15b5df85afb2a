"""FastAPI side of auth: the bearer dependency, role declarations and the role table built from them.

Routes declare who may call them where they are defined (`require_roles(...)`, usually through their
service's `access.py` grants, or `PUBLIC`), and `route_role_table` reads those declarations back for
the README table and for the authorization-matrix test, which compares them with the expected table
written from the specs (tests/integration/access_table.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Final, Protocol

import fastapi.routing
from fastapi import Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection

from clinic_common.auth.errors import ForbiddenRole, Unauthenticated
from clinic_common.auth.principal import ALL_ROLES, Principal, Role

PUBLIC: Final[dict[str, Any]] = {"x-public": True}
"""Pass as `openapi_extra=PUBLIC` on routes anyone may call; it also shows in the OpenAPI document."""

bearer_scheme = HTTPBearer(
    auto_error=False,  # we raise our own problem+json 401 instead of FastAPI's
    bearerFormat="JWT",
    description="Access token issued by the clinic identity provider (`make token` locally).",
)


class PrincipalVerifier(Protocol):
    """What `app.state.token_verifier` must offer; `TokenVerifier` does, test fakes may too."""

    async def verify(self, token: str) -> Principal: ...


async def get_principal(
    connection: HTTPConnection,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The verified caller; 401 without a valid bearer token. Cached per request by FastAPI."""
    if credentials is None:
        raise Unauthenticated("A bearer token is required")
    verifier: PrincipalVerifier | None = getattr(connection.app.state, "token_verifier", None)
    if verifier is None:
        # A wiring mistake, not a client error: fail loudly rather than let everyone in or out.
        raise RuntimeError("app.state.token_verifier is not set")
    principal = await verifier.verify(credentials.credentials)
    connection.state.principal = principal  # for access logs and the audit trail
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]
"""For dependencies below a role-checked route (e.g. validate-and-fetch) that need the caller.
A route using only this is not a role declaration and `route_role_table` reports it undeclared."""


class RoleChecker:
    """Dependency that lets the caller through if they hold any of `roles`; otherwise 403.

    A class rather than a closure so `route_role_table` can find the declared roles on it.
    """

    __slots__ = ("roles",)

    def __init__(self, roles: frozenset[str]) -> None:
        unknown = roles - ALL_ROLES
        if not roles or unknown:
            # Raised at import time, so a typo in a route declaration never ships.
            raise ValueError(f"require_roles needs known roles; unknown: {sorted(unknown) or 'none given'}")
        self.roles = roles

    async def __call__(self, principal: PrincipalDep) -> Principal:
        if principal.roles.isdisjoint(self.roles):
            raise ForbiddenRole(f"This action needs one of the roles: {', '.join(sorted(self.roles))}")
        return principal

    def __repr__(self) -> str:
        return f"RoleChecker({sorted(self.roles)})"


def require_roles(*roles: str | Role) -> Any:
    """`Depends` on a `RoleChecker`; typed `Any` so it fits both `Annotated[Principal, ...]` and
    `dependencies=[...]`."""
    return Depends(RoleChecker(frozenset(str(r) for r in roles)))


@dataclass(frozen=True, slots=True)
class RouteRoles:
    """One method of one route. `roles` is None when the route declares none (public or undeclared).
    Several RoleCheckers on one route (router + route) must all pass, so their roles intersect."""

    method: str
    path: str
    roles: frozenset[str] | None
    public: bool

    @property
    def declared(self) -> bool:
        """Exactly one of public / role-checked; anything else is a mistake a test should fail on."""
        return self.public != (self.roles is not None)


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _walk(sub)


def _api_routes(app: FastAPI) -> Iterator[Any]:
    """APIRoutes as served, i.e. with the prefix and dependencies of any router they were included through.

    Recent FastAPI (0.165 here) keeps included routers lazily (`app.routes` then holds `_IncludedRouter`
    entries); `iter_route_contexts` resolves them. Older versions flatten routes on inclusion.
    """
    iter_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if iter_contexts is None:
        yield from (r for r in app.routes if isinstance(r, APIRoute))
        return
    for context in iter_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context


def route_role_table(app: FastAPI) -> list[RouteRoles]:
    """Every method of every API route of `app` with its declared roles, sorted by path then method."""
    rows: list[RouteRoles] = []
    for route in _api_routes(app):
        roles: frozenset[str] | None = None
        dependant: Dependant | None = route.dependant
        for dep in _walk(dependant) if dependant is not None else ():
            if isinstance(dep.call, RoleChecker):
                roles = dep.call.roles if roles is None else roles & dep.call.roles
        public = (route.openapi_extra or {}).get("x-public") is True
        for method in sorted(route.methods or ()):
            rows.append(RouteRoles(method=method, path=str(route.path), roles=roles, public=public))
    return sorted(rows, key=lambda r: (r.path, r.method))


def render_role_table_markdown(apps: dict[str, FastAPI]) -> str:
    """Role × route table for the README: ✓ may call, blank may not; `?` marks an undeclared route."""
    columns = ["anonymous", *(r.value for r in Role)]
    lines = [
        "| service | route | " + " | ".join(columns) + " |",
        "|---|---|" + "---|" * len(columns),
    ]
    for name, app in apps.items():
        for row in route_role_table(app):
            cells: list[str]
            if not row.declared:
                cells = ["?"] * len(columns)
            elif row.public:
                cells = ["✓"] * len(columns)
            else:
                allowed = row.roles or frozenset()
                cells = ["✓" if c in allowed else "" for c in columns]
            lines.append(f"| {name} | `{row.method} {row.path}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
