"""What a hostile client sends gets a 4xx problem, never a 500 (issue 5, point 9; api.md, Common
behaviour). Each case here answered 500 (an OverflowError in a time-zone conversion) or was
accepted although a person would call it wrong; the services run in-process on real PostgreSQL,
with the references the request names known, so the request reaches the use case.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest

from clinic_common.demo import ORG_ALMATY_ID, practitioner_id
from clinic_common.events.payloads.billing import ServiceUpserted
from clinic_common.events.payloads.records import PatientRegistered
from clinic_testkit.stack import Stack, Svc, auth, organization_event, teach

from scheduling.demo import seed as seed_scheduling

pytestmark = pytest.mark.integration

DOCTOR = practitioner_id(ORG_ALMATY_ID, 1, 1)
FAR_INSTANTS = [
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:00-14:00",
]


def server_like(svc: Svc) -> httpx.AsyncClient:
    """Turns an unhandled exception into the 500 a server would send, instead of raising it."""
    transport = httpx.ASGITransport(app=svc.app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=str(svc.client.base_url))


def assert_refused_by_schema(r: httpx.Response, pointer: str) -> None:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == "validation_failed", body
    assert pointer in [e["pointer"] for e in body["errors"]], body


@pytest.fixture
async def billing(stack: Stack) -> Svc:
    svc = await stack.start("billing", run_workers=False)
    await teach(svc, organization_event(ORG_ALMATY_ID, "KZ"), aggregate_id=ORG_ALMATY_ID)
    return svc


@pytest.mark.parametrize("at", FAR_INSTANTS)
async def test_price_list_at_a_far_instant_is_422_not_500(billing: Svc, at: str) -> None:
    """Public, no token: `GET /v1/price-list?at=9999-12-31T23:59:59Z` answered 500."""
    async with server_like(billing) as client:
        r = await client.get("/v1/price-list", params={"org": str(ORG_ALMATY_ID), "at": at})
    assert_refused_by_schema(r, "/at")


async def test_price_list_at_a_sane_instant_still_answers(billing: Svc) -> None:
    async with server_like(billing) as client:
        r = await client.get(
            "/v1/price-list", params={"org": str(ORG_ALMATY_ID), "at": "2026-11-23T10:00:00+05:00"}
        )
    assert (r.status_code, r.json()["code"]) == (404, "price_list_not_found")  # none published: BIL-1


@pytest.fixture
async def scheduling(stack: Stack) -> tuple[Svc, uuid.UUID]:
    """Scheduling with the demo seed, a known service and a known patient of Almaty."""
    svc = await stack.start("scheduling", run_workers=False)
    async with svc.state.db.sessionmaker() as session, session.begin():
        await seed_scheduling(session, svc.settings)
    service_id, patient_id = uuid.uuid4(), uuid.uuid4()
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
    await teach(
        svc,
        PatientRegistered(
            patient_id=patient_id,
            organization_id=ORG_ALMATY_ID,
            last_name="Test",
            first_name="Patient",
            birth_date=date(1990, 1, 1),
            phone="+77010000000",
            address_text="Almaty",
        ),
        aggregate_id=patient_id,
    )
    return svc, patient_id


def booking(patient: uuid.UUID, start: Any) -> dict[str, Any]:
    return {
        "patient_id": str(patient),
        "practitioner_id": str(DOCTOR),
        "service_code": "therapist_first",
        "start": start,
        "channel": "registry",
    }


@pytest.mark.parametrize(
    "start",
    [
        "0001-01-01T00:00:00+14:00",  # answered 500: OverflowError converting to Almaty
        "9999-12-31T23:59:00-14:00",
        1795000000,  # an integer epoch
        "1795000000",
        "2026-11-23T10:00:00",  # no offset
    ],
)
async def test_booking_start_is_an_rfc3339_instant_in_range(
    scheduling: tuple[Svc, uuid.UUID], stack: Stack, start: Any
) -> None:
    svc, patient = scheduling
    async with server_like(svc) as client:
        r = await client.post(
            "/v1/appointments",
            json=booking(patient, start),
            headers=auth(stack.token("registrar", org=str(ORG_ALMATY_ID))),
        )
    assert_refused_by_schema(r, "/start")


async def test_booking_at_a_sane_instant_reaches_the_rules(
    scheduling: tuple[Svc, uuid.UUID], stack: Stack
) -> None:
    """Midnight in Almaty: no shift, so the rule refuses it, not the schema."""
    svc, patient = scheduling
    async with server_like(svc) as client:
        r = await client.post(
            "/v1/appointments",
            json=booking(patient, "2030-01-02T00:00:00+05:00"),
            headers=auth(stack.token("registrar", org=str(ORG_ALMATY_ID))),
        )
    assert (r.status_code, r.json()["code"], r.json()["rule"]) == (422, "outside_working_hours", "SCH-5")


def patient_body(**over: Any) -> dict[str, Any]:
    return {
        "organization_id": str(ORG_ALMATY_ID),
        "last_name": "Абаева",
        "first_name": "Дана",
        "birth_date": "1990-05-17",
        "sex": "female",
        "identity_document": {"kind": "id_card", "number": "045123456"},
        "address": {"text": "Алматы, пр. Достык 10"},
        "phone": "+7 701 123 45 67",
        "personal_data_consent": True,
        **over,
    }


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"personal_data_consent": "yes"}, "/personal_data_consent"),
        ({"personal_data_consent": 1}, "/personal_data_consent"),
        ({"birth_date": "1990-05-17T00:00:00"}, "/birth_date"),
        ({"birth_date": "1990-05-17T10:30:00+05:00"}, "/birth_date"),
        ({"birth_date": "0001-01-01"}, "/birth_date"),
        ({"last_name": "   "}, "/last_name"),
        ({"address": {"text": "Алматы", "lat": "43.24"}}, "/address/lat"),
    ],
)
async def test_patient_registration_is_strict_where_a_person_expects_it(
    stack: Stack, change: dict[str, Any], pointer: str
) -> None:
    svc = await stack.start("records", run_workers=False)
    await teach(svc, organization_event(ORG_ALMATY_ID, "KZ"), aggregate_id=ORG_ALMATY_ID)
    async with server_like(svc) as client:
        r = await client.post(
            "/v1/patients",
            json=patient_body(**change),
            headers=auth(stack.token("registrar", org=str(ORG_ALMATY_ID))),
        )
    assert_refused_by_schema(r, pointer)
