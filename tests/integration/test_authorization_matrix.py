"""Authorization matrix, generated from the roles each route declares where it is defined.

Every route of every service is either public or declares its roles; for each declared route,
every role outside the declaration gets 403 `forbidden_role`, every role inside it gets past the
role check, and no token gets 401.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from clinic_common.auth import ALL_ROLES, route_role_table
from clinic_common.demo import ORG_ALMATY_ID
from clinic_testkit.stack import Stack, auth

pytestmark = pytest.mark.integration

SERVICES = ("scheduling", "billing", "records", "home-visits")
# Operational routes every service serves without a token (architecture.md, Security).
OPERATIONAL = {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.UUID(int=7)), path)


def token_for(stack: Stack, role: str) -> str:
    if role == "admin":
        return str(stack.token("admin"))
    return str(stack.token(role, org=str(ORG_ALMATY_ID)))


@pytest.mark.parametrize("service", SERVICES)
async def test_every_route_declares_its_roles_and_the_declaration_is_enforced(
    service: str, stack: Stack
) -> None:
    svc = await stack.start(service, run_workers=False)
    table = route_role_table(svc.app)
    undeclared = [(r.method, r.path) for r in table if not r.declared and r.path not in OPERATIONAL]
    assert undeclared == []
    checked = 0
    for route in table:
        if route.public or route.roles is None:
            continue
        path = concrete(route.path)
        anonymous = await svc.client.request(route.method, path, json={})
        assert (anonymous.status_code, anonymous.json()["code"]) == (401, "unauthenticated"), (
            route,
            anonymous.text,
        )
        for role in sorted(ALL_ROLES):
            r = await svc.client.request(route.method, path, json={}, headers=auth(token_for(stack, role)))
            body: dict[str, Any] = r.json() if r.content else {}
            if role in route.roles:
                assert r.status_code != 401 and body.get("code") != "forbidden_role", (route, role, r.text)
            else:
                assert (r.status_code, body.get("code")) == (403, "forbidden_role"), (route, role, r.text)
            assert r.status_code < 500, (route, role, r.text)
            checked += 1
    assert checked > 0


@pytest.mark.parametrize("service", SERVICES)
async def test_public_routes_answer_without_a_token(service: str, stack: Stack) -> None:
    svc = await stack.start(service, run_workers=False)
    for route in route_role_table(svc.app):
        if route.public and route.method == "GET" and "{" not in route.path:
            r = await svc.client.get(route.path)
            assert r.status_code != 401, (route, r.text)
            assert r.status_code < 500, (route, r.text)
