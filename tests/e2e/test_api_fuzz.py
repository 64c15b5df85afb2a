"""Property-based fuzzing of every service's own OpenAPI document (Schemathesis + Hypothesis).

For each operation Schemathesis generates schema-conforming and schema-violating requests; they
go through the in-process app (the `stack`'s ASGI client, real PostgreSQL) with an admin token of
a known organization. api.md, Common behaviour: no request, however malformed, gets a 5xx, and
every 4xx is `application/problem+json` with a stable `code`.

Hypothesis runs synchronously in a worker thread and hands each request to the test's event loop,
where the app, its database pool and the ASGI client live. Generation is derandomized, so a run
is reproducible and CI-stable.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup

from clinic_testkit.stack import Stack, Svc, auth, organization_event, teach

pytestmark = pytest.mark.e2e

ORG = uuid.UUID("0f000000-0000-4000-8000-0000000000f1")
MAX_EXAMPLES = 15
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # failures are collected, not raised: nothing to shrink
    suppress_health_check=list(HealthCheck),
)


@dataclass
class Findings:
    sent: int = 0
    failures: dict[tuple[str, str, int, str], str] = field(default_factory=dict)

    def add(self, op: str, response: httpx.Response, problem: str, request: str) -> None:
        key = (op, problem, response.status_code, response.headers.get("content-type", ""))
        self.failures.setdefault(key, f"{request}\n    -> {response.status_code} {response.text[:300]}")

    def report(self) -> str:
        return "\n".join(
            f"{op}: {problem} [{status}, {ctype}]\n    {example}"
            for (op, problem, status, ctype), example in sorted(self.failures.items())
        )


def to_httpx(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Schemathesis serializes for `requests`; translate the body arguments for httpx."""
    out = {k: kwargs[k] for k in ("method", "url", "headers", "params", "cookies") if kwargs.get(k)}
    if "json" in kwargs:
        out["json"] = kwargs["json"]
    if "data" in kwargs:
        data = kwargs["data"]
        out["data" if isinstance(data, dict) else "content"] = data
    if "files" in kwargs:
        out["files"] = kwargs["files"]
    return out


def describe(request: httpx.Request) -> str:
    body = request.content[:300].decode("utf-8", "replace")
    keep = {k: v for k, v in request.headers.items() if k.lower() in {"content-type", "idempotency-key"}}
    return f"{request.method} {request.url.raw_path.decode('latin-1')} headers={keep} body={body!r}"


def check(case: schemathesis.Case, response: httpx.Response, findings: Findings, op: str) -> None:
    request = describe(response.request)
    try:
        case.validate_response(response, checks=[not_a_server_error])
    except (AssertionError, FailureGroup):  # one Schemathesis failure, or several
        findings.add(op, response, "server error", request)
        return
    if 400 <= response.status_code < 500:
        if not response.headers.get("content-type", "").startswith("application/problem+json"):
            findings.add(op, response, "4xx is not problem+json", request)
            return
        try:
            body = response.json()
        except json.JSONDecodeError:
            findings.add(op, response, "4xx body is not JSON", request)
            return
        if not (isinstance(body, dict) and isinstance(body.get("code"), str) and body["code"]):
            findings.add(op, response, "4xx problem without code", request)


def fuzz_operation(
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    svc: Svc,
    client: httpx.AsyncClient,
    headers: dict[str, str],
    loop: asyncio.AbstractEventLoop,
    findings: Findings,
) -> None:
    """Runs in a worker thread; each request is awaited on the test's loop."""
    op = f"{svc.name} {operation.method.upper()} {operation.path}"
    base_url = str(client.base_url).rstrip("/")

    @FUZZ_SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        kwargs = to_httpx(case.as_transport_kwargs(base_url=base_url, headers=headers))
        try:
            request = client.build_request(**kwargs)
        except (UnicodeEncodeError, ValueError, TypeError):
            return  # httpx cannot put this on the wire; a real client could not send it either
        response = asyncio.run_coroutine_threadsafe(client.send(request), loop).result(timeout=60)
        findings.sent += 1
        check(case, response, findings, op)

    try:
        run()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE, op  # nothing to violate (no parameters, no body)


async def start(stack: Stack, service: str) -> Svc:
    svc = await stack.start(service, run_workers=False)
    if "clinic.scheduling.organization.upserted" in svc.state.event_processor.handlers:
        await teach(svc, organization_event(ORG, "KZ"), aggregate_id=ORG)
    return svc


@pytest.mark.parametrize("service", ["scheduling", "billing", "records", "home-visits"])
async def test_api_fuzz_no_server_errors_and_problem_json(stack: Stack, service: str) -> None:
    svc = await start(stack, service)
    document = (await svc.client.get("/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(document)
    headers = {**auth(stack.token("admin", org=str(ORG))), "Accept": "application/json"}
    loop = asyncio.get_running_loop()
    findings = Findings()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the OpenAPI document lists no operations"
    # Unlike the stack's client, this one turns an unhandled exception into the 500 a server sends.
    transport = httpx.ASGITransport(app=svc.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=svc.client.base_url) as client:
        for operation in operations:
            for mode in MODES:
                await asyncio.to_thread(fuzz_operation, operation, mode, svc, client, headers, loop, findings)
    assert findings.sent >= len(operations), findings.sent
    assert not findings.failures, f"{len(findings.failures)} distinct failures:\n{findings.report()}"
