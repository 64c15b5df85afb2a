"""The price list API against a real database: BIL-1 (versions, public read), BIL-5, SCH-2."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import httpx
import pytest

from clinic_common.demo import ORG_ALMATY_ID, ORG_MOSCOW_ID
from clinic_common.events.payloads.records import PatientRegistered, PatientUpdated

from billing.demo import seed

if TYPE_CHECKING:
    from conftest import BillingHarness

pytestmark = pytest.mark.integration

Token = Callable[..., str]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def post(billing: BillingHarness, payload: dict[str, Any], token: str | None = None) -> httpx.Response:
    response: httpx.Response = await billing.client.post(
        "/v1/price-lists", json=payload, headers=auth(token) if token else None
    )
    return response


async def get(billing: BillingHarness, org: UUID, at: str | None = None) -> httpx.Response:
    params = {"org": str(org), **({"at": at} if at else {})}
    response: httpx.Response = await billing.client.get("/v1/price-list", params=params)
    return response


def item(code: str, amount: str, currency: str = "KZT", **extra: Any) -> dict[str, Any]:
    return {
        "service_code": code,
        "name": code.replace("_", " "),
        "price": {"amount": amount, "currency": currency},
        "category": "consultation",
        **extra,
    }


def body(org: UUID, effective_from: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "organization_id": str(org),
        "effective_from": effective_from,
        "approval_order": "Приказ № 7 от 20.11.2026",
        "items": items,
    }


async def seeded(billing: BillingHarness) -> None:
    async with billing.app.state.db.sessionmaker() as session, session.begin():
        await seed(session, billing.settings)


async def outbox_types(billing: BillingHarness) -> list[str]:
    return [r.type for r in await billing.fetch("select type from outbox order by position")]


async def test_BIL_1_public_price_list_in_force_needs_no_login(billing: BillingHarness) -> None:
    await seeded(billing)
    await billing.learn_organization(ORG_ALMATY_ID)
    r = await get(billing, ORG_ALMATY_ID)
    assert r.status_code == 200, r.text
    pl = r.json()
    assert (pl["organization_id"], pl["effective_from"]) == (str(ORG_ALMATY_ID), "2020-01-01")
    prices = {i["service_code"]: i for i in pl["items"]}
    assert prices["blood_sample"]["price"] == {"amount": "1500.00", "currency": "KZT"}
    assert prices["gobmp_therapist"]["state_order"] is True  # BIL-2
    assert prices["gobmp_therapist"]["price"] == {"amount": "0.00", "currency": "KZT"}
    assert len(prices) == 23


async def test_BIL_1_seed_loads_again_without_new_events(billing: BillingHarness) -> None:
    await seeded(billing)
    first = await outbox_types(billing)
    assert first == ["clinic.billing.service.upserted"] * 46
    await seeded(billing)
    assert await outbox_types(billing) == first
    counts = await billing.fetch("select count(*) from price_list_items")
    assert counts[0][0] == 46


async def test_BIL_1_version_in_force_on_the_organization_local_date(
    billing: BillingHarness, token_factory: Token
) -> None:
    await seeded(billing)
    await billing.learn_organization(ORG_ALMATY_ID)
    director = token_factory("director", org=str(ORG_ALMATY_ID))
    payload = body(ORG_ALMATY_ID, "2026-12-01", [item("therapist_first", "13500", requires_referral=False)])
    r = await post(billing, payload, director)
    assert r.status_code == 201, r.text
    assert r.json()["items"][0]["price"] == {"amount": "13500.00", "currency": "KZT"}

    async def in_force(at: str) -> str:
        resp = await get(billing, ORG_ALMATY_ID, at)
        assert resp.status_code == 200, resp.text
        return str(resp.json()["effective_from"])

    assert await in_force("2026-11-30T17:00:00Z") == "2020-01-01"  # still 30 Nov in Almaty
    assert await in_force("2026-11-30T20:00:00Z") == "2026-12-01"  # already 1 Dec in Almaty
    assert await in_force("2026-12-01T00:30:00+05:00") == "2026-12-01"


async def test_BIL_1_new_version_announces_only_new_or_changed_services(
    billing: BillingHarness, token_factory: Token
) -> None:
    await seeded(billing)
    await billing.learn_organization(ORG_ALMATY_ID)
    before = len(await outbox_types(billing))
    director = token_factory("director", org=str(ORG_ALMATY_ID))
    items = [
        # unchanged catalogue terms: no event
        item("ecg", "5500", name="Электрокардиография (ЭКГ) с расшифровкой", category="instrumental"),
        # renamed: one event
        item("therapist_first", "13000", name="Приём терапевта первичный (30 мин)"),
        # new: one event
        item("dermatologist_first", "14000", duration_minutes=30),
    ]
    r = await post(billing, body(ORG_ALMATY_ID, "2027-01-01", items), director)
    assert r.status_code == 201, r.text
    rows = await billing.fetch(
        "select envelope->'data'->>'code' as code from outbox order by position offset :n", n=before
    )
    assert sorted(r.code for r in rows) == ["dermatologist_first", "therapist_first"]
    service = await billing.fetch(
        "select duration_minutes, requires_referral from services where organization_id = :o and code = :c",
        o=ORG_ALMATY_ID,
        c="ecg",
    )
    assert tuple(service[0]) == (20, True)  # kept from the catalogue


async def test_BIL_1_duplicate_effective_date_is_a_conflict(
    billing: BillingHarness, token_factory: Token
) -> None:
    await billing.learn_organization(ORG_ALMATY_ID)
    director = token_factory("director", org=str(ORG_ALMATY_ID))
    payload = body(ORG_ALMATY_ID, "2026-12-01", [item("ecg", "5000", duration_minutes=20)])
    assert (await post(billing, payload, director)).status_code == 201
    r = await post(billing, payload, director)
    assert r.status_code == 409
    assert (r.json()["code"], r.json()["rule"]) == ("price_list_version_exists", "BIL-1")


async def test_BIL_5_price_in_a_foreign_currency_is_refused(
    billing: BillingHarness, token_factory: Token
) -> None:
    await billing.learn_organization(ORG_ALMATY_ID)
    director = token_factory("director", org=str(ORG_ALMATY_ID))
    payload = body(ORG_ALMATY_ID, "2026-12-01", [item("ecg", "50", "USD", duration_minutes=20)])
    r = await post(billing, payload, director)
    assert r.status_code == 422
    assert (r.json()["code"], r.json()["rule"]) == ("currency_not_accepted", "BIL-5")


async def test_SCH_2_new_service_duration_is_checked(billing: BillingHarness, token_factory: Token) -> None:
    await billing.learn_organization(ORG_MOSCOW_ID)
    director = token_factory("director", org=str(ORG_MOSCOW_ID))
    cases: list[tuple[dict[str, Any], str]] = [
        ({"duration_minutes": 60}, "duration_out_of_range"),
        ({}, "service_duration_required"),
    ]
    for extra, code in cases:
        payload = body(ORG_MOSCOW_ID, "2026-12-01", [item("ecg", "1200", "RUB", **extra)])
        r = await post(billing, payload, director)
        assert r.status_code == 422
        assert (r.json()["code"], r.json()["rule"]) == (code, "SCH-2")


async def test_BIL_1_version_cannot_take_effect_in_the_past(
    billing: BillingHarness, token_factory: Token
) -> None:
    await billing.learn_organization(ORG_ALMATY_ID)
    director = token_factory("director", org=str(ORG_ALMATY_ID))
    payload = body(ORG_ALMATY_ID, "2026-11-21", [item("ecg", "5000", duration_minutes=20)])
    r = await post(billing, payload, director)
    assert (r.status_code, r.json()["code"]) == (422, "effective_from_in_past")


async def test_price_list_needs_director_or_admin_of_the_organization(
    billing: BillingHarness, token_factory: Token
) -> None:
    await billing.learn_organization(ORG_ALMATY_ID)
    payload = body(ORG_ALMATY_ID, "2026-12-01", [item("ecg", "5000", duration_minutes=20)])
    anonymous = await post(billing, payload)
    assert anonymous.status_code == 401
    cashier = token_factory("cashier", org=str(ORG_ALMATY_ID))
    assert (await post(billing, payload, cashier)).status_code == 403
    other = token_factory("director", org=str(ORG_MOSCOW_ID))
    r = await post(billing, payload, other)
    assert (r.status_code, r.json()["code"]) == (403, "organization_forbidden")
    admin = token_factory("admin", org=None)
    assert (await post(billing, payload, admin)).status_code == 201


async def test_unknown_organization_is_422_and_retried(billing: BillingHarness, token_factory: Token) -> None:
    stranger = uuid4()
    r = await get(billing, stranger)
    assert (r.status_code, r.json()["code"]) == (422, "organization_unknown")
    admin = token_factory("admin", org=None)
    payload = body(stranger, "2026-12-01", [item("ecg", "5000", duration_minutes=20)])
    r = await post(billing, payload, admin)
    assert (r.status_code, r.json()["code"]) == (422, "organization_unknown")


async def test_BIL_1_no_price_list_before_the_first_version(billing: BillingHarness) -> None:
    await seeded(billing)
    await billing.learn_organization(ORG_MOSCOW_ID)
    r = await get(billing, ORG_MOSCOW_ID, "2019-06-01T12:00:00Z")
    assert (r.status_code, r.json()["code"]) == (404, "price_list_not_found")
    naive = await get(billing, ORG_MOSCOW_ID, "2026-06-01T12:00")
    assert (naive.status_code, naive.json()["code"]) == (422, "validation_failed")


async def test_patient_projection_follows_records_in_sequence(billing: BillingHarness) -> None:
    patient_id = uuid4()
    fields: dict[str, Any] = {
        "patient_id": patient_id,
        "organization_id": ORG_ALMATY_ID,
        "last_name": "Иванова",
        "first_name": "Анна",
        "birth_date": "1990-05-01",
        "phone": "+77010000000",
        "address_text": "Алматы, пр. Достык, 1",
    }
    await billing.deliver(PatientRegistered(**fields), subject=patient_id, sequence=1)
    newer, older = ({**fields, "phone": phone} for phone in ("+77019999999", "+77015555555"))
    await billing.deliver(PatientUpdated(**newer), subject=patient_id, sequence=3)
    await billing.deliver(PatientUpdated(**older), subject=patient_id, sequence=2)  # late redelivery
    rows = await billing.fetch("select phone, source_sequence from patients where id = :p", p=patient_id)
    assert [tuple(r) for r in rows] == [("+77019999999", 3)]
