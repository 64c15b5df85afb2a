"""Records `POST /v1/patients` (REC-1, REC-2): validation, auth, idempotency, problem+json."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from clinic_testkit.stack import Stack, auth, open_cabinet, organization_event, teach

pytestmark = pytest.mark.integration

ORG = uuid.UUID("0a000000-0000-4000-8000-0000000000aa")


def make_iin(birth: date, century_sex: int, serial: str = "0001") -> str:
    """A valid IIN for the date: YYMMDD, century/sex digit, 4-digit serial, check digit."""
    first = f"{birth:%y%m%d}{century_sex}{serial}"
    digits = [int(c) for c in first]
    check = sum(d * w for d, w in zip(digits, range(1, 12), strict=True)) % 11
    if check == 10:
        check = sum(d * w for d, w in zip(digits, [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2], strict=True)) % 11
    assert check != 10
    return first + str(check)


def patient_body(**over: Any) -> dict[str, Any]:
    body = {
        "organization_id": str(ORG),
        "last_name": "Абаева",
        "first_name": "Дана",
        "birth_date": "1990-05-17",
        "sex": "female",
        "iin": make_iin(date(1990, 5, 17), 4),
        "identity_document": {"kind": "id_card", "number": "045123456"},
        "address": {"text": "Алматы, пр. Достык 10", "lat": 43.24, "lon": 76.95},
        "phone": "+7 701 123 45 67",
        "personal_data_consent": True,
    }
    body.update(over)
    return body


@pytest.fixture
async def records(stack: Stack) -> Any:
    svc = await stack.start("records", run_workers=False)
    await teach(svc, organization_event(ORG, "KZ"), aggregate_id=ORG)
    return svc


@pytest.fixture
def registrar(stack: Stack) -> dict[str, str]:
    return auth(stack.token("registrar", org=str(ORG)))


async def test_REC_1_registers_patient_and_writes_event_to_outbox(
    records: Any, registrar: dict[str, str]
) -> None:
    r = await records.client.post("/v1/patients", json=patient_body(), headers=registrar)
    assert r.status_code == 201, r.text
    patient = r.json()
    assert patient["iin"] == patient_body()["iin"]
    assert r.headers["Location"] == f"/v1/patients/{patient['id']}"
    async with records.state.db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT type, aggregate_id, sequence FROM outbox"))).all()
        consent = (await conn.execute(text("SELECT kind, channel FROM consents"))).all()
    assert rows == [("clinic.records.patient.registered", patient["id"], 1)]
    assert consent == [("personal_data", "registry")]  # REC-2: recorded with its channel


@pytest.mark.parametrize(
    ("iin", "reason"),
    [
        ("12345", "length"),
        ("9005174000a1", "not_digits"),
        ("901317400010", "birth_date"),
        ("900517900010", "century_digit"),
    ],
)
async def test_REC_1_invalid_iin_is_refused_with_rule(
    records: Any, registrar: dict[str, str], iin: str, reason: str
) -> None:
    r = await records.client.post("/v1/patients", json=patient_body(iin=iin), headers=registrar)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert (body["code"], body["rule"], body["reason"]) == ("invalid_iin", "REC-1", reason)


async def test_REC_1_iin_check_digit_is_verified(records: Any, registrar: dict[str, str]) -> None:
    good = make_iin(date(1990, 5, 17), 4)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    r = await records.client.post("/v1/patients", json=patient_body(iin=bad), headers=registrar)
    assert (r.status_code, r.json()["code"], r.json()["reason"]) == (422, "invalid_iin", "check_digit")


async def test_REC_1_iin_must_match_birth_date(records: Any, registrar: dict[str, str]) -> None:
    r = await records.client.post(
        "/v1/patients", json=patient_body(iin=make_iin(date(1991, 5, 17), 4)), headers=registrar
    )
    assert (r.status_code, r.json()["code"]) == (422, "invalid_iin")


async def test_REC_1_iin_required_in_kazakhstan(records: Any, registrar: dict[str, str]) -> None:
    r = await records.client.post("/v1/patients", json=patient_body(iin=None), headers=registrar)
    assert (r.status_code, r.json()["code"], r.json()["rule"]) == (422, "iin_required", "REC-1")


async def test_REC_2_personal_data_consent_required(records: Any, registrar: dict[str, str]) -> None:
    r = await records.client.post(
        "/v1/patients", json=patient_body(personal_data_consent=False), headers=registrar
    )
    assert (r.status_code, r.json()["code"], r.json()["rule"]) == (
        422,
        "personal_data_consent_required",
        "REC-2",
    )


async def test_REC_1_same_iin_twice_is_a_conflict(records: Any, registrar: dict[str, str]) -> None:
    first = await records.client.post("/v1/patients", json=patient_body(), headers=registrar)
    assert first.status_code == 201
    again = await records.client.post("/v1/patients", json=patient_body(), headers=registrar)
    assert (again.status_code, again.json()["code"]) == (409, "patient_already_registered")


async def test_REC_1_concurrent_registrations_of_one_iin_create_one_patient(
    records: Any, registrar: dict[str, str]
) -> None:
    results = await asyncio.gather(
        *[records.client.post("/v1/patients", json=patient_body(), headers=registrar) for _ in range(5)]
    )
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201, 409, 409, 409, 409], [r.text for r in results]
    async with records.state.db.engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM patients")) == 1
        assert await conn.scalar(text("SELECT count(*) FROM outbox")) == 1


async def test_unknown_organization_answers_organization_unknown(stack: Stack) -> None:
    svc = await stack.start("records", run_workers=False)
    other = uuid.uuid4()
    headers = auth(stack.token("registrar", org=str(other)))
    r = await svc.client.post("/v1/patients", json=patient_body(organization_id=str(other)), headers=headers)
    assert (r.status_code, r.json()["code"]) == (422, "organization_unknown")


async def test_patient_of_another_organization_is_forbidden(records: Any, stack: Stack) -> None:
    headers = auth(stack.token("registrar", org=str(uuid.uuid4())))
    r = await records.client.post("/v1/patients", json=patient_body(), headers=headers)
    assert (r.status_code, r.json()["code"]) == (403, "organization_forbidden")


# --- auth -----------------------------------------------------------------------------------------


async def test_no_token_is_401_problem(records: Any) -> None:
    r = await records.client.post("/v1/patients", json=patient_body())
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "unauthenticated"
    assert r.headers["www-authenticate"].startswith("Bearer")


async def test_garbage_token_is_401(records: Any) -> None:
    r = await records.client.post("/v1/patients", json=patient_body(), headers=auth("not.a.jwt"))
    assert (r.status_code, r.json()["code"]) == (401, "unauthenticated")


async def test_wrong_role_is_403(records: Any, stack: Stack) -> None:
    r = await records.client.post(
        "/v1/patients", json=patient_body(), headers=auth(stack.token("doctor", org=str(ORG)))
    )
    assert (r.status_code, r.json()["code"]) == (403, "forbidden_role")


async def test_patient_sees_only_themselves(records: Any, registrar: dict[str, str], stack: Stack) -> None:
    created = (await records.client.post("/v1/patients", json=patient_body(), headers=registrar)).json()
    stranger = uuid.uuid4()
    for person in (created["id"], stranger):  # REC-19: both cabinets open; the object level decides
        await open_cabinet(records, person, ORG)
    own = auth(stack.token("patient", org=str(ORG), patient_id=created["id"]))
    other = auth(stack.token("patient", org=str(ORG), patient_id=str(stranger)))
    assert (await records.client.get(f"/v1/patients/{created['id']}", headers=own)).status_code == 200
    hidden = await records.client.get(f"/v1/patients/{created['id']}", headers=other)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "patient_not_found")


# --- malformed input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 422, "validation_failed"),
        (b"[]", "application/json", 422, "validation_failed"),
        (b"null", "application/json", 422, "validation_failed"),
        (b"\xff\xfe", "application/json", 422, "validation_failed"),
        (b"organization_id=1", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ],
)
async def test_malformed_bodies_get_4xx_problem(
    records: Any, registrar: dict[str, str], content: bytes, content_type: str, status: int, code: str
) -> None:
    r = await records.client.post(
        "/v1/patients", content=content, headers={**registrar, "Content-Type": content_type}
    )
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == code


async def test_validation_errors_carry_pointers(records: Any, registrar: dict[str, str]) -> None:
    body = patient_body(birth_date="not-a-date", unexpected="x")
    body["address"] = {"text": "x", "lat": 500}
    r = await records.client.post("/v1/patients", json=body, headers=registrar)
    assert r.status_code == 422
    pointers = {e["pointer"] for e in r.json()["errors"]}
    assert {"/birth_date", "/unexpected", "/address/lat"} <= pointers


async def test_over_large_body_is_413(records: Any, registrar: dict[str, str]) -> None:
    big = patient_body(last_name="x" * (2 * 1024 * 1024))
    r = await records.client.post("/v1/patients", json=big, headers=registrar)
    assert (r.status_code, r.json()["code"]) == (413, "payload_too_large")


async def test_bad_path_parameter_is_422_not_500(records: Any, registrar: dict[str, str]) -> None:
    r = await records.client.get("/v1/patients/not-a-uuid", headers=registrar)
    assert (r.status_code, r.json()["code"]) == (422, "validation_failed")
    assert r.json()["errors"][0]["in"] == "path"


async def test_unknown_route_is_404_problem(records: Any) -> None:
    r = await records.client.get("/v1/nothing-here")
    assert (r.status_code, r.json()["code"]) == (404, "not_found")


# --- idempotency ------------------------------------------------------------------------------------


async def test_idempotency_same_body_returns_first_answer(records: Any, registrar: dict[str, str]) -> None:
    headers = {**registrar, "Idempotency-Key": "reg-1"}
    first = await records.client.post("/v1/patients", json=patient_body(), headers=headers)
    second = await records.client.post("/v1/patients", json=patient_body(), headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    async with records.state.db.engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM patients")) == 1


async def test_idempotency_key_reused_with_other_body_is_422(records: Any, registrar: dict[str, str]) -> None:
    headers = {**registrar, "Idempotency-Key": "reg-2"}
    assert (
        await records.client.post("/v1/patients", json=patient_body(), headers=headers)
    ).status_code == 201
    other = await records.client.post("/v1/patients", json=patient_body(first_name="Other"), headers=headers)
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")


async def test_idempotency_running_request_gives_409(records: Any, registrar: dict[str, str]) -> None:
    """A first request blocked inside its transaction holds the key; a second one gets 409."""
    headers = {**registrar, "Idempotency-Key": "reg-3"}
    async with records.state.db.engine.connect() as blocker:
        await blocker.execute(text("LOCK TABLE patients IN ACCESS EXCLUSIVE MODE"))
        first = asyncio.create_task(records.client.post("/v1/patients", json=patient_body(), headers=headers))

        async def claimed() -> bool:
            async with records.state.db.engine.connect() as conn:
                return bool(
                    await conn.scalar(text("SELECT count(*) FROM idempotency_keys WHERE key = 'reg-3'"))
                )

        from clinic_testkit.stack import eventually

        await eventually(claimed)
        second = await records.client.post("/v1/patients", json=patient_body(), headers=headers)
        assert (second.status_code, second.json()["code"]) == (409, "idempotency_key_in_progress")
        await blocker.rollback()
    assert (await first).status_code == 201


async def test_idempotency_crash_mid_request_does_not_leave_key_stuck(
    records: Any, registrar: dict[str, str]
) -> None:
    """The first request is cancelled mid-transaction after claiming the key: it frees the key at once
    (a process that dies instead stops renewing the lease, which then expires)."""
    headers = {**registrar, "Idempotency-Key": "reg-4"}
    async with records.state.db.engine.connect() as blocker:
        await blocker.execute(text("LOCK TABLE patients IN ACCESS EXCLUSIVE MODE"))
        doomed = asyncio.create_task(
            records.client.post("/v1/patients", json=patient_body(), headers=headers)
        )
        await asyncio.sleep(0.5)
        doomed.cancel()
        with pytest.raises(asyncio.CancelledError):
            await doomed
        await blocker.rollback()
    retry = await records.client.post("/v1/patients", json=patient_body(), headers=headers)
    assert retry.status_code == 201, retry.text  # at once, not after the lease
    async with records.state.db.engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM patients")) == 1


async def test_refused_request_releases_the_key(records: Any, registrar: dict[str, str]) -> None:
    headers = {**registrar, "Idempotency-Key": "reg-5"}
    bad = await records.client.post("/v1/patients", json=patient_body(iin="123"), headers=headers)
    assert bad.status_code == 422
    same = await records.client.post("/v1/patients", json=patient_body(iin="123"), headers=headers)
    assert same.json()["code"] == "invalid_iin"  # re-evaluated, not stuck in progress
