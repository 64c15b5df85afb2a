"""Authorization matrix: every route × every role, expected cells from `access_table.py` (written from
architecture.md § Security and api.md), never from the declarations under test; then the object
level: own and other patient, organization and branch.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from sqlalchemy import select

from clinic_common.auth import RoleChecker, route_role_table
from clinic_common.auth.dev import ensure_dev_keypair
from clinic_common.auth.production import InsecureTokenSettings
from clinic_common.calendar import Country, is_public_holiday
from clinic_common.clock import FixedClock
from clinic_common.demo import (
    ALMATY_BRANCH_IDS,
    ORG_ALMATY_ID,
    ORG_MOSCOW_ID,
    practitioner_id,
)
from clinic_common.dev_clock import router as dev_clock_router
from clinic_common.events.payloads.billing import ServiceUpserted
from clinic_common.events.payloads.records import PatientRegistered
from clinic_testkit.stack import SERVICES, Stack, Svc, auth, open_cabinet, organization_event, teach
from tests.integration.access_table import ALL_ROLES, TABLE, Access, Route

pytestmark = pytest.mark.integration

IDP = "https://id.clinic.example/realms/clinic"


# -- what a service serves, and how it answers ------------------------------------------------------


def served_routes(app: FastAPI) -> set[Route]:
    """Every (method, path) the app answers, API routes or not (OpenAPI, docs), HEAD left aside."""
    routes: set[Route] = set()
    for context in iter_route_contexts(app.routes):
        for method in context.methods or ():
            if method != "HEAD":
                routes.add((method, str(context.path)))
    return routes


def route_set_problems(service: str, app: FastAPI, *, dev_mode: bool) -> list[str]:
    expected = {route for route, access in TABLE[service].items() if dev_mode or not access.dev_only}
    served = served_routes(app)
    return [f"{m} {p}: served, but access_table.py has no row" for m, p in sorted(served - expected)] + [
        f"{m} {p}: in access_table.py, not served" for m, p in sorted(expected - served)
    ]


def declaration_problems(service: str, app: FastAPI) -> list[str]:
    """The roles each route declares against the table (the live answers are checked separately)."""
    problems = []
    for row in route_role_table(app):
        access = TABLE[service].get((row.method, row.path))
        if access is None:
            continue  # reported by route_set_problems
        declared = None if row.public else row.roles
        if not row.declared:
            problems.append(f"{row.method} {row.path}: neither public nor role-checked")
        elif declared != access.roles:
            problems.append(
                f"{row.method} {row.path}: declares {_fmt(declared)}, table says {_fmt(access.roles)}"
            )
    return problems


def _fmt(roles: frozenset[str] | None) -> str:
    return "public" if roles is None else ", ".join(sorted(roles))


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.UUID(int=7)), path)


def token_for(stack: Stack, role: str) -> str:
    """A token of `role` for the Almaty demo organization (a patient also gets a person id)."""
    if role == "admin":
        return str(stack.token("admin"))
    claims: dict[str, Any] = {"patient_id": str(uuid.uuid4())} if role == "patient" else {}
    return str(stack.token(role, org=str(ORG_ALMATY_ID), **claims))


@dataclass(frozen=True)
class Cell:
    method: str
    path: str
    who: str
    status: int
    code: str | None


async def live_mismatches(svc: Svc, stack: Stack, table: dict[Route, Access]) -> list[Cell]:
    """Call every route as anonymous and as every role; the cells that disagree with `table`.

    Allowed means "past the role check": neither 401 nor 403 `forbidden_role` (the object may still
    be missing, 404, or the empty body refused, 422). Not allowed means 403 `forbidden_role`, or 401
    without a token. Nothing answers 5xx.
    """
    wrong: list[Cell] = []
    served = served_routes(svc.app)
    for (method, path), access in sorted(table.items()):
        if (method, path) not in served:
            continue  # reported by route_set_problems
        callers: list[tuple[str, dict[str, str]]] = [("anonymous", {})]
        callers += [(role, auth(token_for(stack, role))) for role in sorted(ALL_ROLES)]
        for who, headers in callers:
            body: dict[str, Any] | None = {} if method in {"POST", "PUT", "PATCH"} else None
            r = await svc.client.request(method, concrete(path), json=body, headers=headers)
            code = r.json().get("code") if r.headers.get("content-type", "").endswith("json") else None
            if access.public or who in (access.roles or ()):
                ok = r.status_code != 401 and code != "forbidden_role"
            elif who == "anonymous":
                ok = (r.status_code, code) == (401, "unauthenticated")
            else:
                ok = (r.status_code, code) == (403, "forbidden_role")
            if not ok or r.status_code >= 500:
                wrong.append(Cell(method, path, who, r.status_code, code))
    return wrong


# -- the matrix -------------------------------------------------------------------------------------


def _app(service: str, tmp_path: Path, **values: Any) -> FastAPI:
    """The app as `create_app` builds it; routes are listed without starting it (no database)."""
    import importlib

    pkg = SERVICES[service]
    config, main = importlib.import_module(f"{pkg}.config"), importlib.import_module(f"{pkg}.main")
    app: FastAPI = main.create_app(config.Settings(**values))
    return app


def idp_key(folder: Path) -> Path:
    """A public key as an identity provider publishes it (not the development key)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "idp.pem"
    public = Ed25519PrivateKey.generate().public_key()
    path.write_bytes(
        public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return path


@pytest.mark.parametrize("service", SERVICES)
def test_every_served_route_has_a_row_and_declares_what_the_table_says(service: str, tmp_path: Path) -> None:
    _, dev_public = ensure_dev_keypair(tmp_path / "keys")
    dev = _app(service, tmp_path, env="test", jwt_public_key_file=dev_public)
    assert route_set_problems(service, dev, dev_mode=True) == []
    assert declaration_problems(service, dev) == []
    prod = _app(service, tmp_path, env="production", jwt_issuer=IDP, jwt_public_key_file=idp_key(tmp_path))
    assert route_set_problems(service, prod, dev_mode=False) == []  # no /_dev/clock in production


@pytest.mark.parametrize("service", SERVICES)
async def test_every_role_gets_the_answer_the_table_gives(service: str, stack: Stack) -> None:
    svc = await stack.start(service, run_workers=False)
    assert await live_mismatches(svc, stack, TABLE[service]) == []


async def test_the_matrix_fails_when_a_staff_only_route_is_opened_to_patient(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 5: open GET /v1/practitioners/{id}/shifts to `patient` in its declaration; the table
    still says staff only, so the matrix reports exactly that cell."""
    route: Route = ("GET", "/v1/practitioners/{practitioner_id}/shifts")
    assert "patient" not in (TABLE["scheduling"][route].roles or ())
    svc = await stack.start("scheduling", run_workers=False)
    checker = next(
        dep.call
        for context in iter_route_contexts(svc.app.routes)
        if (route[0] in (context.methods or ())) and context.path == route[1]
        for dep in _dependencies(context.dependant)
        if isinstance(dep.call, RoleChecker)
    )
    monkeypatch.setattr(checker, "roles", checker.roles | {"patient"})
    table = {route: TABLE["scheduling"][route]}
    assert [(c.path, c.who) for c in await live_mismatches(svc, stack, table)] == [(route[1], "patient")]
    assert declaration_problems("scheduling", svc.app) == [
        f"GET {route[1]}: declares {_fmt(checker.roles)}, table says {_fmt(table[route].roles)}"
    ]


def test_the_matrix_fails_for_a_route_the_table_does_not_list(tmp_path: Path) -> None:
    _, dev_public = ensure_dev_keypair(tmp_path / "keys")
    app = _app("records", tmp_path, env="test", jwt_public_key_file=dev_public)

    async def export_everything() -> list[str]:
        return []

    app.add_api_route("/v1/patients-export", export_everything, methods=["GET"])
    assert route_set_problems("records", app, dev_mode=True) == [
        "GET /v1/patients-export: served, but access_table.py has no row"
    ]


def _dependencies(dependant: Any) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub
        yield from _dependencies(sub)


async def test_a_service_started_without_env_is_production(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Issue 5: no CLINIC_ENV means production: no `/_dev/clock`, and the dev issuer and key refused."""
    monkeypatch.delenv("CLINIC_ENV", raising=False)
    _, dev_public = ensure_dev_keypair(tmp_path / ".data" / "keys")
    with pytest.raises(InsecureTokenSettings, match="development issuer"):
        _app("scheduling", tmp_path, jwt_public_key_file=dev_public)
    app = _app("scheduling", tmp_path, jwt_issuer=IDP, jwt_public_key_file=idp_key(tmp_path / "etc"))
    assert app.state.settings.env == "production"
    assert not {r for r in served_routes(app) if r[1].startswith("/_dev")}
    app.include_router(dev_clock_router)  # mounted by mistake: the router still refuses to move time
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://scheduling") as client:
        r = await client.put("/_dev/clock", json={"now": "2031-03-08T11:59:00+03:00"})
    assert (r.status_code, r.json()["code"]) == (404, "not_found")


# -- object level: own and other patient, organization, branch --------------------------------------

ALMATY = ZoneInfo("Asia/Almaty")
NOW = datetime(2031, 3, 3, 9, 0, tzinfo=ALMATY)  # a Monday; days are taken from this clock
DOCTOR = practitioner_id(ORG_ALMATY_ID, 1, 1)


@dataclass
class Booked:
    svc: Svc
    me: uuid.UUID  # an Almaty patient with an appointment
    other: uuid.UUID  # another Almaty patient
    moscow: uuid.UUID  # a Moscow patient
    appointment: uuid.UUID
    branch: uuid.UUID  # the appointment's branch
    other_branch: uuid.UUID  # the other Almaty branch
    start: datetime


async def learn_patient(svc: Svc, org: uuid.UUID) -> uuid.UUID:
    patient = uuid.uuid4()
    await teach(
        svc,
        PatientRegistered(
            patient_id=patient,
            organization_id=org,
            last_name="Test",
            first_name="Patient",
            birth_date=date(1990, 1, 1),
            phone="+77010000000",
            address_text="Street 1",
        ),
        aggregate_id=patient,
    )
    return patient


async def free_start(svc: Svc, practitioner: uuid.UUID, after: datetime) -> tuple[datetime, uuid.UUID]:
    """The start of one of the practitioner's shifts on a working day after `after`, and its branch."""
    from scheduling.practitioner.models import Shift
    from scheduling.practitioner.service import as_weekly

    async with svc.state.db.sessionmaker() as session:
        shifts = (await session.execute(select(Shift).where(Shift.practitioner_id == practitioner))).scalars()
        weekly = [as_weekly(s) for s in shifts]
    for offset in range(1, 60):
        day = after.date() + timedelta(days=offset)
        if is_public_holiday(Country.KZ, day):
            continue
        for shift in weekly:
            if shift.weekday == day.weekday() and shift.valid_on(day):
                return datetime.combine(day, max(shift.starts, time(9)), ALMATY), shift.branch_id
    raise AssertionError("the practitioner has no shift in the next 60 days")


def booking(patient: uuid.UUID, start: datetime, channel: str = "registry") -> dict[str, Any]:
    return {
        "patient_id": str(patient),
        "practitioner_id": str(DOCTOR),
        "service_code": "therapist_first",
        "start": start.isoformat(),
        "channel": channel,
    }


@pytest.fixture
async def booked(stack: Stack) -> Booked:
    from scheduling.demo import seed

    svc = await stack.start("scheduling", run_workers=False, clock=FixedClock(NOW))
    async with svc.state.db.sessionmaker() as session, session.begin():
        await seed(session, svc.settings)
    service_id = uuid.uuid4()
    await teach(
        svc,
        ServiceUpserted(
            id=service_id,
            organization_id=ORG_ALMATY_ID,
            code="therapist_first",
            name="Therapist, first visit",
            duration_minutes=30,
            category="consultation",
        ),
        aggregate_id=service_id,
    )
    me, other = await learn_patient(svc, ORG_ALMATY_ID), await learn_patient(svc, ORG_ALMATY_ID)
    moscow = await learn_patient(svc, ORG_MOSCOW_ID)
    for person in (me, other):  # REC-19: their cabinets are open, so the object level decides
        await open_cabinet(svc, person, ORG_ALMATY_ID)
    start, branch = await free_start(svc, DOCTOR, NOW)
    r = await svc.client.post(
        "/v1/appointments",
        json=booking(me, start),
        headers=auth(stack.token("registrar", org=str(ORG_ALMATY_ID))),
    )
    assert r.status_code == 201, r.text
    (other_branch,) = set(ALMATY_BRANCH_IDS) - {branch}
    return Booked(svc, me, other, moscow, uuid.UUID(r.json()["id"]), branch, other_branch, start)


def patient_token(stack: Stack, person: uuid.UUID, *, org: uuid.UUID = ORG_ALMATY_ID, extra: str = "") -> str:
    return str(
        stack.token("patient", org=str(org), patient_id=str(person), extra_roles=[extra] if extra else None)
    )


def staff_token(
    stack: Stack, role: str, org: uuid.UUID = ORG_ALMATY_ID, branches: list[uuid.UUID] | None = None
) -> str:
    return str(
        stack.token(
            role, org=str(org), branch_ids=[str(b) for b in branches] if branches is not None else None
        )
    )


async def status_of(
    client: httpx.AsyncClient, method: str, url: str, token: str, **kw: Any
) -> tuple[int, str]:
    r = await client.request(method, url, headers=auth(token), **kw)
    return r.status_code, r.json().get("code", "") if r.status_code >= 400 else ""


async def test_appointment_is_read_by_its_patient_and_its_organization_and_branch_only(
    booked: Booked, stack: Stack
) -> None:
    url, client = f"/v1/appointments/{booked.appointment}", booked.svc.client
    expected = {
        "own patient": (patient_token(stack, booked.me), 200),
        "other patient": (patient_token(stack, booked.other), 404),
        # No cabinet is open for this person in the other organization (REC-19).
        "own person id, other organization": (patient_token(stack, booked.me, org=ORG_MOSCOW_ID), 403),
        # Issue 5: an extra role that is not granted reading appointments keeps the patient limit.
        "other patient + home_doctor": (patient_token(stack, booked.other, extra="home_doctor"), 404),
        "other patient + insurer": (patient_token(stack, booked.other, extra="insurer"), 404),
        # ... and one that is granted it brings its staff scope.
        "other patient + registrar": (patient_token(stack, booked.other, extra="registrar"), 200),
        "registrar, own organization": (staff_token(stack, "registrar"), 200),
        "registrar, other organization": (staff_token(stack, "registrar", ORG_MOSCOW_ID), 404),
        "registrar, own branch": (staff_token(stack, "registrar", branches=[booked.branch]), 200),
        "registrar, other branch": (staff_token(stack, "registrar", branches=[booked.other_branch]), 404),
        "doctor, no branch": (staff_token(stack, "doctor", branches=[]), 404),
        "admin across organizations": (str(stack.token("admin")), 200),
        "admin of the other organization": (staff_token(stack, "admin", ORG_MOSCOW_ID), 404),
    }
    answers = {case: (await status_of(client, "GET", url, token))[0] for case, (token, _) in expected.items()}
    assert answers == {case: want for case, (_, want) in expected.items()}
    missing = await status_of(
        client, "GET", url, staff_token(stack, "registrar", branches=[booked.other_branch])
    )
    assert missing == (404, "appointment_not_found")  # the same answer as for an id nobody has


async def test_booking_for_another_patient_organization_or_branch_is_refused(
    booked: Booked, stack: Stack
) -> None:
    client, later = booked.svc.client, booked.start + timedelta(hours=1)

    async def book(
        token: str, patient: uuid.UUID, start: datetime, channel: str = "registry"
    ) -> tuple[int, str]:
        return await status_of(
            client, "POST", "/v1/appointments", token, json=booking(patient, start, channel)
        )

    unknown = (422, "patient_unknown")  # a patient the caller may not see answers like an unknown one
    assert await book(patient_token(stack, booked.me), booked.other, later, "cabinet") == unknown
    assert (
        await book(patient_token(stack, booked.me, extra="home_doctor"), booked.other, later, "cabinet")
        == unknown
    )
    assert await book(patient_token(stack, booked.me, org=ORG_MOSCOW_ID), booked.me, later, "cabinet") == (
        403,
        "cabinet_access_required",  # REC-19: no cabinet of this person is open in that organization
    )
    assert await book(staff_token(stack, "registrar", ORG_MOSCOW_ID), booked.other, later) == unknown
    assert await book(staff_token(stack, "registrar"), booked.moscow, later) == unknown
    assert await book(
        staff_token(stack, "call_center", branches=[booked.other_branch]), booked.other, later
    ) == (
        403,
        "branch_forbidden",
    )
    # The same requests within the caller's own scope are booked.
    assert await book(staff_token(stack, "call_center", branches=[booked.branch]), booked.other, later) == (
        201,
        "",
    )
    assert await book(patient_token(stack, booked.me), booked.me, later + timedelta(hours=1), "cabinet") == (
        201,
        "",
    )


async def test_shifts_are_listed_for_the_callers_organization_and_branches(
    booked: Booked, stack: Stack
) -> None:
    url, client = f"/v1/practitioners/{DOCTOR}/shifts", booked.svc.client

    async def branches_seen(token: str) -> tuple[int, set[str]]:
        r = await client.get(url, headers=auth(token))
        return r.status_code, {s["branch_id"] for s in r.json().get("items", [])}

    status, everything = await branches_seen(staff_token(stack, "registrar"))
    assert status == 200 and str(booked.branch) in everything
    limited = await branches_seen(staff_token(stack, "registrar", branches=[booked.other_branch]))
    assert limited == (200, everything - {str(booked.branch)})
    assert await branches_seen(staff_token(stack, "registrar", ORG_MOSCOW_ID)) == (404, set())


async def test_patient_record_is_read_by_the_patient_and_their_organization_only(stack: Stack) -> None:
    records = await stack.start("records", run_workers=False)
    org_a, org_b = uuid.uuid4(), uuid.uuid4()
    await teach(records, organization_event(org_a, "RU"), aggregate_id=org_a)
    await teach(records, organization_event(org_b, "RU"), aggregate_id=org_b)

    async def register(org: uuid.UUID, name: str) -> uuid.UUID:
        r = await records.client.post(
            "/v1/patients",
            json={
                "organization_id": str(org),
                "last_name": name,
                "first_name": "Test",
                "birth_date": "1990-05-17",
                "identity_document": {"kind": "passport", "number": f"45 0{len(name)} 123456"},
                "address": {"text": "Moscow, Arbat 1"},
                "phone": "+7 901 123 45 67",
                "personal_data_consent": True,
            },
            headers=auth(staff_token(stack, "registrar", org)),
        )
        assert r.status_code == 201, r.text
        return uuid.UUID(r.json()["id"])

    me, other = await register(org_a, "Ivanova"), await register(org_a, "Petrova")
    for person in (me, other):  # REC-19: their cabinets are open, so the object level decides
        await open_cabinet(records, person, org_a)
    url = f"/v1/patients/{me}"
    expected = {
        "own patient": (patient_token(stack, me, org=org_a), 200),
        "other patient": (patient_token(stack, other, org=org_a), 404),
        "own person id, other organization": (patient_token(stack, me, org=org_b), 403),  # REC-19
        # Issue 5: the records check let any second role through (`len(roles) == 1`).
        "other patient + insurer": (patient_token(stack, other, org=org_a, extra="insurer"), 404),
        "other patient + privacy_officer": (
            patient_token(stack, other, org=org_a, extra="privacy_officer"),
            404,
        ),
        "other patient + registrar": (patient_token(stack, other, org=org_a, extra="registrar"), 200),
        "registrar, own organization": (staff_token(stack, "registrar", org_a), 200),
        "registrar limited to some branch": (staff_token(stack, "registrar", org_a, [uuid.uuid4()]), 200),
        "registrar, other organization": (staff_token(stack, "registrar", org_b), 404),
    }
    answers = {c: (await status_of(records.client, "GET", url, t))[0] for c, (t, _) in expected.items()}
    assert answers == {c: want for c, (_, want) in expected.items()}
    assert await status_of(records.client, "GET", url, patient_token(stack, other, org=org_a)) == (
        404,
        "patient_not_found",
    )
    other_org_registration = await status_of(
        records.client,
        "POST",
        "/v1/patients",
        staff_token(stack, "registrar", org_b),
        json={
            "organization_id": str(org_a),
            "last_name": "Sidorova",
            "first_name": "Test",
            "birth_date": "1990-05-17",
            "identity_document": {"kind": "passport", "number": "45 09 123456"},
            "address": {"text": "Moscow, Arbat 1"},
            "phone": "+7 901 123 45 67",
            "personal_data_consent": True,
        },
    )
    assert other_org_registration == (403, "organization_forbidden")


async def test_organization_level_objects_of_billing_and_home_visits(stack: Stack) -> None:
    billing = await stack.start("billing", run_workers=False)
    price_list = {
        "organization_id": str(ORG_ALMATY_ID),
        "effective_from": "2031-06-01",
        "approval_order": "Order 7",
        "items": [
            {
                "service_code": "x1",
                "name": "X",
                "price": {"amount": "100.00", "currency": "KZT"},
                "category": "consultation",
            }
        ],
    }
    assert await status_of(
        billing.client,
        "POST",
        "/v1/price-lists",
        staff_token(stack, "director", ORG_MOSCOW_ID),
        json=price_list,
    ) == (403, "organization_forbidden")
    home_visits = await stack.start("home-visits", run_workers=False)
    for org, want in (
        (ORG_MOSCOW_ID, (403, "organization_forbidden")),
        (ORG_ALMATY_ID, (422, "organization_unknown")),
    ):
        got = await status_of(
            home_visits.client, "GET", f"/v1/zones?organization_id={org}", staff_token(stack, "dispatcher")
        )
        assert got == want  # own organization: past the policy (this empty database does not know it)
