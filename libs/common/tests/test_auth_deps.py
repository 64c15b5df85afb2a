"""FastAPI integration: 401/403 over HTTP and the role table read back from route declarations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from clinic_common.auth import (
    PUBLIC,
    Principal,
    PrincipalDep,
    RouteRoles,
    TokenVerifier,
    render_role_table_markdown,
    require_roles,
    route_role_table,
)
from clinic_common.auth.dev import ensure_dev_keypair, issue_dev_token
from clinic_common.errors import AppError, install_error_handlers

ORG = "6f1c2a4e-2d0b-4a8e-9a51-1b7c0f6d2e10"


def _app(public_key: Path) -> FastAPI:
    app = FastAPI()
    app.state.token_verifier = TokenVerifier(issuer="clinic-dev", public_key_file=public_key)

    @app.exception_handler(AppError)
    async def on_app_error(request: Request, exc: AppError) -> JSONResponse:
        body = {"status": exc.status, "code": exc.code}
        return JSONResponse(body, status_code=exc.status, headers=exc.headers)

    @app.get("/v1/organizations", openapi_extra=PUBLIC)
    async def organizations() -> list[str]:
        return []

    @app.post("/v1/patients")
    async def register(
        principal: Annotated[Principal, require_roles("registrar", "call_center")],
    ) -> dict[str, str]:
        return {"sub": principal.subject}

    @app.get("/v1/undeclared")
    async def undeclared(principal: PrincipalDep) -> dict[str, str]:
        return {"sub": principal.subject}

    admin = APIRouter(prefix="/v1/admin", dependencies=[require_roles("admin", "director")])

    @admin.get("/dead-letters", dependencies=[require_roles("admin")])
    async def dead_letters() -> list[str]:
        return []

    app.include_router(admin)
    return app


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    return ensure_dev_keypair(tmp_path)


@pytest.fixture
def app(keys: tuple[Path, Path]) -> FastAPI:
    return _app(keys[1])


def test_role_table_reads_declarations(app: FastAPI) -> None:
    table = {(r.method, r.path): r for r in route_role_table(app)}
    assert table[("GET", "/v1/organizations")] == RouteRoles("GET", "/v1/organizations", None, public=True)
    assert table[("POST", "/v1/patients")].roles == frozenset({"registrar", "call_center"})
    assert table[("GET", "/v1/admin/dead-letters")].roles == frozenset({"admin"})  # router and route apply
    assert table[("GET", "/v1/undeclared")] == RouteRoles("GET", "/v1/undeclared", None, public=False)
    assert [r.path for r in table.values() if not r.declared] == ["/v1/undeclared"]


def test_markdown_table(app: FastAPI) -> None:
    md = render_role_table_markdown({"scheduling": app})
    lines = md.splitlines()
    assert lines[0].startswith("| service | route | anonymous | patient | registrar |")
    row = next(line for line in lines if "`POST /v1/patients`" in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[0] == "scheduling" and cells[2] == "" and cells[4] == "✓"  # anonymous no, registrar yes
    assert "?" in next(line for line in lines if "/v1/undeclared" in line)


def test_unknown_role_in_declaration_fails_at_definition() -> None:
    with pytest.raises(ValueError):
        require_roles("registrar", "registar")


def test_openapi_shows_bearer_scheme(app: FastAPI) -> None:
    doc = app.openapi()
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert doc["paths"]["/v1/organizations"]["get"]["x-public"] is True


async def test_http_401_403_200(app: FastAPI, keys: tuple[Path, Path]) -> None:
    def bearer(role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_dev_token(keys[0], role=role, org=ORG)}"}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as client:
        assert (await client.get("/v1/organizations")).status_code == 200

        r = await client.post("/v1/patients")
        assert (r.status_code, r.json()["code"]) == (401, "unauthenticated")
        assert r.headers["www-authenticate"] == "Bearer"

        r = await client.post("/v1/patients", headers={"Authorization": "Bearer nonsense"})
        assert r.status_code == 401 and "invalid_token" in r.headers["www-authenticate"]

        r = await client.post("/v1/patients", headers={"Authorization": "Basic dXNlcjpwdw=="})
        assert r.status_code == 401

        r = await client.post("/v1/patients", headers=bearer("doctor"))
        assert (r.status_code, r.json()["code"]) == (403, "forbidden_role")

        r = await client.post("/v1/patients", headers=bearer("call_center"))
        assert r.status_code == 200 and r.json() == {"sub": "dev-call_center"}

        assert (await client.get("/v1/admin/dead-letters", headers=bearer("director"))).status_code == 403
        assert (await client.get("/v1/admin/dead-letters", headers=bearer("admin"))).status_code == 200


async def test_common_error_handlers_render_auth_refusals(keys: tuple[Path, Path]) -> None:
    app = FastAPI()
    app.state.token_verifier = TokenVerifier(issuer="clinic-dev", public_key_file=keys[1])
    install_error_handlers(app)

    @app.get("/v1/things")
    async def things(principal: Annotated[Principal, require_roles("nurse")]) -> list[str]:
        return []

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as client:
        r = await client.get("/v1/things")
        assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
        assert r.headers["www-authenticate"] == "Bearer" and r.json()["code"] == "unauthenticated"
        token = issue_dev_token(keys[0], role="cashier", org=ORG)
        r = await client.get("/v1/things", headers={"Authorization": f"Bearer {token}"})
        assert (r.status_code, r.json()["code"]) == (403, "forbidden_role")
