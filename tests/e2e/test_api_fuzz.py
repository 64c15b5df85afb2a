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
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err, Ok
from schemathesis.errors import FailureGroup

from clinic_common.clock import write_offset
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
    statuses: Counter[int] = field(default_factory=Counter)
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


def check(case: schemathesis.Case[Any], response: httpx.Response, findings: Findings, op: str) -> None:
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
    operation: schemathesis.APIOperation[Any, Any, Any, Any],
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
    def run(case: schemathesis.Case[Any]) -> None:
        kwargs = to_httpx(case.as_transport_kwargs(base_url=base_url, headers=headers))
        try:
            request = client.build_request(**kwargs)
        except (UnicodeEncodeError, ValueError, TypeError):
            return  # httpx cannot put this on the wire; a real client could not send it either
        response = asyncio.run_coroutine_threadsafe(client.send(request), loop).result(timeout=60)
        findings.sent += 1
        findings.statuses[response.status_code] += 1
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
    results = list(schema.get_all_operations())
    assert not [r.err() for r in results if isinstance(r, Err)], "the OpenAPI document has invalid operations"
    operations = [r.ok() for r in results if isinstance(r, Ok)]
    assert operations, "the OpenAPI document lists no operations"
    # Unlike the stack's client, this one turns an unhandled exception into the 500 a server sends.
    transport = httpx.ASGITransport(app=svc.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=svc.client.base_url) as client:
        for operation in operations:
            for mode in MODES:
                await asyncio.to_thread(fuzz_operation, operation, mode, svc, client, headers, loop, findings)
            write_offset(stack.clock_file, 0.0)  # `PUT /_dev/clock` must not leak into the next operation
    print(f"{service}: {findings.sent} requests, statuses {sorted(findings.statuses.items())}")
    assert findings.sent >= len(operations), findings.sent
    assert any(400 <= s < 500 for s in findings.statuses), "negative cases never reached a 4xx"
    if findings.failures:
        pytest.fail(f"{len(findings.failures)} distinct failures:\n{findings.report()}", pytrace=False)


async def test_dev_clock_out_of_range_is_refused_and_never_breaks_the_service(stack: Stack) -> None:
    """Regression cases the fuzzer found or that sit next to them: each must be a 4xx, never a 5xx,
    and the shared clock must stay usable afterwards (a year-9999 offset broke every later request)."""
    svc = await stack.start("records", run_workers=False)
    transport = httpx.ASGITransport(app=svc.app, raise_app_exceptions=False)
    bodies: list[dict[str, Any]] = [
        {"advance_seconds": -1.7976931348623157e308},
        {"advance_seconds": 1e300},
        {"advance_seconds": "NaN"},
        {"advance_seconds": "Infinity"},
        {"now": "9999-12-31T23:59:59.999Z"},
        {"now": "0001-01-01T00:00:00+14:00"},
    ]
    outcomes = []
    async with httpx.AsyncClient(transport=transport, base_url=svc.client.base_url) as client:
        for body in bodies:
            put = await client.put("/_dev/clock", json=body)
            await asyncio.sleep(0.01)
            after = await client.get("/_dev/clock")
            outcomes.append((body, put.status_code, after.status_code))
            write_offset(stack.clock_file, 0.0)
    bad = [o for o in outcomes if o[1] >= 500 or o[2] >= 500]
    assert not bad, f"(body, PUT status, later GET status): {bad}"
    assert all(400 <= put < 500 for _, put, _ in outcomes), outcomes


async def test_nul_character_in_a_string_parameter_is_a_4xx(stack: Stack) -> None:
    """PostgreSQL text cannot hold U+0000; the fuzzer found it in `GET /v1/practitioners?specialty=`."""
    svc = await start(stack, "scheduling")
    transport = httpx.ASGITransport(app=svc.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=svc.client.base_url) as client:
        r = await client.get(
            "/v1/practitioners",
            params={"specialty": "a\x00b"},
            headers=auth(stack.token("admin", org=str(ORG))),
        )
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
