"""Fuzzing every service's own OpenAPI document with Schemathesis, every check and every phase.

This is `st run --checks all` through Schemathesis' Python engine: the examples, coverage, fuzzing
and stateful phases, positive and negative data, and all built-in checks (no 5xx, documented status
codes, media types and headers, responses matching their schemas, conforming data accepted and
violating data refused, auth enforced, `Allow` on 405, ...), plus two checks of api.md's
(Common behaviour) registered below:

- every 4xx/5xx is `application/problem+json` with a stable `code`, and that code is one the
  operation documents for the status (`x-problem-codes`, see clinic_common.openapi);
- data the document calls valid is never refused as `validation_failed`: conforming data that
  meets the state is refused by a rule, with the rule's code.

Each service runs behind a real uvicorn server on seeded data: the demo seeds of scheduling,
billing and home-visits, two patients registered through records, and every event these produced
delivered to the services that consume it, as the relay and consumers would. Requests carry an
admin token of the seeded Almaty organization; path, query and body ids are drawn half of the time
from the seeded objects (Schemathesis dictionaries), so real objects' responses are checked too.
Rule refusals (404, 409, and 422 with a domain code) are the expected answers to conforming data,
hence `positive_data_acceptance` also expects 422. The figures (operations, requests, failures)
are printed per service.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import socket
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from fastapi import FastAPI
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema
from sqlalchemy import select

from clinic_common.clock import write_offset
from clinic_common.demo import (
    ALMATY_BRANCH_IDS,
    MOSCOW_BRANCH_IDS,
    ORG_ALMATY_ID,
    ORG_MOSCOW_ID,
    practitioner_id,
)
from clinic_common.events.envelope import EventEnvelope
from clinic_testkit.stack import Stack, Svc, auth

pytestmark = pytest.mark.e2e

SERVICES = ("scheduling", "billing", "records", "home-visits")
SEEDS = {"scheduling": "scheduling.demo", "billing": "billing.demo", "home-visits": "home_visits.demo"}
MAX_EXAMPLES = 25  # per operation and phase; the four services take a few minutes together
PROBLEM_JSON = "application/problem+json"


# --- the seeded system ---------------------------------------------------------------------------


@dataclass
class Seeded:
    services: dict[str, Svc]
    patient_ids: list[uuid.UUID]


def _iin(serial: int) -> str:
    """A valid IIN (REC-1) of a woman born 1990-05-17: YYMMDD, century/sex 4, serial, check digit."""
    for n in range(serial, serial + 100):
        digits = [int(c) for c in f"9005174{n:04d}"]
        check = sum(d * w for d, w in zip(digits, range(1, 12), strict=True)) % 11
        if check == 10:
            weights = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]
            check = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if check != 10:
            return "".join(map(str, digits)) + str(check)
    raise AssertionError("no serial with a valid check digit")


def _patient_body(n: int) -> dict[str, Any]:
    return {
        "organization_id": str(ORG_ALMATY_ID),
        "last_name": "Абаева",
        "first_name": f"Дана {n}",
        "birth_date": "1990-05-17",
        "sex": "female",
        "iin": _iin(100 * (n + 1)),
        "identity_document": {"kind": "id_card", "number": f"04512345{n}"},
        "address": {"text": "Алматы, пр. Достык 10", "lat": 43.24, "lon": 76.95},
        "phone": "+7 701 123 45 67",
        "personal_data_consent": True,
    }


async def _outbox(svc: Svc, after: int = 0) -> list[tuple[int, EventEnvelope]]:
    t = svc.state.platform.outbox
    async with svc.state.db.sessionmaker() as session:
        rows = (await session.execute(select(t.c.position, t.c.envelope).where(t.c.position > after))).all()
    return [(int(r.position), EventEnvelope.model_validate(r.envelope)) for r in sorted(rows)]


async def _deliver(services: dict[str, Svc], cursors: dict[str, int]) -> None:
    """Hand every new outbox event of each service to each service that handles its type."""
    for name, producer in services.items():
        for position, envelope in await _outbox(producer, cursors.get(name, 0)):
            cursors[name] = position
            for other, consumer in services.items():
                if other != name and envelope.type in consumer.state.event_processor.handlers:
                    await consumer.state.event_processor.process(envelope)


async def seed_system(stack: Stack) -> Seeded:

    services = {name: await stack.start(name, run_workers=False) for name in SERVICES}
    for name, module in SEEDS.items():
        svc = services[name]
        async with svc.state.db.sessionmaker() as session, session.begin():
            await importlib.import_module(module).seed(session, svc.settings)
    cursors: dict[str, int] = {}
    await _deliver(services, cursors)
    registrar = auth(stack.token("registrar", org=str(ORG_ALMATY_ID)))
    patient_ids = []
    for n in range(2):
        r = await services["records"].client.post("/v1/patients", json=_patient_body(n), headers=registrar)
        assert r.status_code == 201, r.text
        patient_ids.append(uuid.UUID(r.json()["id"]))
    await _deliver(services, cursors)
    return Seeded(services, patient_ids)


def dictionaries(seeded: Seeded) -> dict[str, Any]:
    """Schemathesis dictionaries and bindings: ids of seeded objects, used half of the time."""
    organizations = [str(ORG_ALMATY_ID), str(ORG_MOSCOW_ID)]
    practitioners = [str(practitioner_id(ORG_ALMATY_ID, b, n)) for b in (1, 2) for n in (1, 2)]
    values = {
        "organizations": organizations,
        "branches": [str(b) for b in (*ALMATY_BRANCH_IDS, *MOSCOW_BRANCH_IDS)],
        "practitioners": practitioners,
        "patients": [str(p) for p in seeded.patient_ids],
        "service_codes": ["therapist_first", "therapist_repeat", "ecg"],
    }
    bindings = {
        "organizations": ("organization_id", "org"),
        "branches": ("branch_id",),
        "practitioners": ("practitioner_id",),
        "patients": ("patient_id",),
        "service_codes": ("service_code",),
    }
    parameters: dict[str, Any] = {}
    for dictionary, names in bindings.items():
        for name in names:
            for location in ("path", "query", "body"):
                parameters[f"{location}.{name}"] = {"dictionary": dictionary, "probability": 0.5}
    return {
        "dictionaries": {name: {"values": v} for name, v in values.items()},
        "parameters": parameters,
    }


# --- a real server ---------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[str]:
    """The (already started) app behind uvicorn on an ephemeral port of 127.0.0.1."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


# --- api.md's checks, on top of Schemathesis' own --------------------------------------------------


def _header(response: Any, name: str) -> str:
    for key, values in response.headers.items():
        if key.lower() == name.lower():
            return str(values[0]) if isinstance(values, list) else str(values)
    return ""


@schemathesis.check
def problem_details(ctx: Any, response: Any, case: Any) -> bool | None:
    """api.md: errors are problem+json with a stable code, and the document lists that code."""
    status = response.status_code
    if status < 400:
        return None
    if not _header(response, "content-type").startswith(PROBLEM_JSON):
        raise AssertionError(f"a {status} is not {PROBLEM_JSON}")
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"the {status} problem body is not JSON") from None
    code = body.get("code") if isinstance(body, dict) else None
    if not isinstance(code, str) or not code:
        raise AssertionError(f"a {status} problem without code")
    documented = case.operation.definition.raw.get("responses", {}).get(str(status), {})
    codes = documented.get("x-problem-codes")
    if codes is not None and code not in codes:
        raise AssertionError(
            f"undocumented problem code {code!r} for {status} (documented: {', '.join(codes)})"
        )
    return None


@schemathesis.check
def conforming_data_passes_the_schema(ctx: Any, response: Any, case: Any) -> bool | None:
    """What the document calls valid the server must not refuse as invalid."""
    meta = case.meta
    if meta is None or meta.generation.mode is not GenerationMode.POSITIVE or response.status_code != 422:
        return None
    try:
        code = json.loads(response.content).get("code")
    except (ValueError, AttributeError):
        return None
    if code == "validation_failed":
        raise AssertionError(
            "conforming data was refused as validation_failed: the document is looser than the server"
        )
    return None


# --- the run --------------------------------------------------------------------------------------


@dataclass
class Findings:
    operations: set[str] = field(default_factory=set)
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    phases: Counter[str] = field(default_factory=Counter)
    failures: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def add(self, label: str, check: str, title: str, example: str) -> None:
        self.failures.setdefault((label, check, title), example)

    def report(self) -> str:
        return "\n".join(
            f"{label}: {check}: {title}\n    {example}"
            for (label, check, title), example in sorted(self.failures.items())
        )


def _example(interaction: Any) -> str:
    if interaction is None:
        return ""
    request, response = interaction.request, interaction.response
    body = (request.body or b"")[:300]
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    answer = (
        f"{response.status_code} {response.content[:300].decode('utf-8', 'replace')}" if response else "none"
    )
    return f"{request.method} {request.uri} body={text!r}\n    -> {answer}"


def run_engine(schema: Any) -> Findings:
    """Schemathesis' engine, as `st run` drives it; blocking, so it runs in a worker thread."""
    findings = Findings()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            findings.phases[event.phase.value] += len(recorder.interactions)
            for case_id, interaction in recorder.interactions.items():
                findings.requests += 1
                if interaction.response is not None:
                    findings.statuses[interaction.response.status_code] += 1
                findings.operations.add(recorder.cases[case_id].value.operation.label)
            for case_id, checks in recorder.checks.items():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        failure = check.failure_info.failure
                        label = recorder.cases[case_id].value.operation.label
                        example = _example(recorder.interactions.get(case_id))
                        findings.add(label, check.name, f"{failure.title} {failure.message}"[:400], example)
        elif isinstance(event, events.NonFatalError | events.FatalError):
            findings.add(getattr(event, "label", "engine"), "error", repr(event)[:400], "")
        elif isinstance(event, events.EngineFinished):
            for failure in event.failures:
                findings.add("run", "after_run", failure.title, failure.message[:400])
    return findings


def schemathesis_config(seeded: Seeded, token: str, base_url: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            **dictionaries(seeded),
            "base-url": base_url,
            # Schemathesis sends the token itself, so a case that leaves it out on purpose does.
            "auth": {"openapi": {"HTTPBearer": {"bearer": token}}},
            # Derandomized: a run is reproducible, and a failure in CI fails again on a laptop. No
            # U+0000 in conforming text, as the documents say (PostgreSQL cannot store it); that a
            # NUL gets a 4xx is tested below.
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "allow-x00": False},
            "checks": {
                # Conforming data that meets the seeded state is refused by the rules: 404 for what
                # does not exist, 409 for a conflict, 422 with the rule's code (never
                # `validation_failed`: `conforming_data_passes_the_schema`); 412 for an `If-Match`
                # naming another version (api.md, Concurrency).
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "401", "403", "404", "409", "412", "422"]
                },
            },
        }
    )


@pytest.mark.parametrize("service", SERVICES)
async def test_api_fuzz_all_checks_pass(
    stack: Stack, service: str, record_property: Callable[[str, object], None]
) -> None:
    seeded = await seed_system(stack)
    svc = seeded.services[service]
    document = (await svc.client.get("/openapi.json")).json()
    token = stack.token("admin", org=str(ORG_ALMATY_ID))
    async with serve(svc.app) as base_url:
        schema = schemathesis.openapi.from_dict(document, config=schemathesis_config(seeded, token, base_url))
        findings = await asyncio.to_thread(run_engine, schema)
    documented = sum(len(item) for item in document["paths"].values())
    phases = ", ".join(f"{name} {count}" for name, count in sorted(findings.phases.items()))
    figures = (
        f"{service}: {len(findings.operations)} of {documented} operations, {findings.requests} requests "
        f"({phases}), {len(findings.failures)} failures; statuses {sorted(findings.statuses.items())}"
    )
    record_property("fuzz_figures", figures)  # printed in the run's summary (tests/e2e/conftest.py)
    print(figures)
    assert len(findings.operations) == documented, sorted(findings.operations)
    assert any(400 <= s < 500 for s in findings.statuses), "negative cases never reached a 4xx"
    assert any(200 <= s < 300 for s in findings.statuses), "no request succeeded"
    if findings.failures:
        pytest.fail(f"{len(findings.failures)} distinct failures:\n{findings.report()}", pytrace=False)


# --- regressions the fuzzer found ---------------------------------------------------------------


async def test_dev_clock_out_of_range_is_refused_and_never_breaks_the_service(stack: Stack) -> None:
    """Each must be a 4xx, never a 5xx, and the shared clock must stay usable afterwards (a
    year-9999 offset broke every later request)."""
    svc = await stack.start("records", run_workers=False)
    bodies: list[dict[str, Any]] = [
        {"advance_seconds": -1.7976931348623157e308},
        {"advance_seconds": 1e300},
        {"advance_seconds": "NaN"},
        {"advance_seconds": "Infinity"},
        {"now": "9999-12-31T23:59:59.999Z"},
        {"now": "0001-01-01T00:00:00+14:00"},
    ]
    outcomes = []
    async with serve(svc.app) as base_url, _client(base_url) as client:
        for body in bodies:
            put = await client.put("/_dev/clock", json=body)
            after = await client.get("/_dev/clock")
            outcomes.append((body, put.status_code, after.status_code))
            write_offset(stack.clock_file, 0.0)
    bad = [o for o in outcomes if o[1] >= 500 or o[2] >= 500]
    assert not bad, f"(body, PUT status, later GET status): {bad}"
    assert all(400 <= put < 500 for _, put, _ in outcomes), outcomes


async def test_nul_character_in_a_string_parameter_is_a_4xx(stack: Stack) -> None:
    """PostgreSQL text cannot hold U+0000; the fuzzer found it in `GET /v1/practitioners?specialty=`."""
    svc = await stack.start("scheduling", run_workers=False)
    async with serve(svc.app) as base_url, _client(base_url) as client:
        r = await client.get(
            "/v1/practitioners",
            params={"specialty": "a\x00b"},
            headers=auth(stack.token("admin", org=str(ORG_ALMATY_ID))),
        )
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)


def _client(base_url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base_url, timeout=30)
