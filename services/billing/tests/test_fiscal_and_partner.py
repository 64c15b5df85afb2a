"""Fiscal receipts through the delivery path (recording register and ATOL Online v5 against a
local stub), correction receipts, and the partner-insurer API (BIL-19) with its claims export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest
from openpyxl import load_workbook

from clinic_common.clock import FixedClock
from clinic_common.demo import ORG_ALMATY_ID
from services.billing.tests.atol_stub import GROUP, Atol, running

from billing.fiscal.atol import AtolOnline, atol_receipt

if TYPE_CHECKING:
    from conftest import BillingHarness

pytestmark = pytest.mark.integration


@pytest.fixture
def atol() -> Iterator[tuple[Atol, str]]:
    with running() as stub:
        yield stub


async def test_BIL_7_every_payment_gets_a_fiscal_document_registered_by_the_worker(
    billing: BillingHarness,
) -> None:
    await billing.seed()
    await billing.learn_organization(ORG_ALMATY_ID)
    patient = await billing.learn_patient(ORG_ALMATY_ID, iin="900517400123")
    invoice_id = await billing.estimate_of(await billing.book(ORG_ALMATY_ID, patient))
    r = await billing.pay(invoice_id, "12000.00", method="card")
    assert r.status_code == 201, r.text
    doc_id = r.json()["receipt"]["fiscal_document_id"]
    assert r.json()["receipt"]["fiscal_status"] == "pending"
    assert await billing.app.state.delivery_worker.run_once() == 1
    d = await billing.client.get(f"/v1/fiscal-documents/{doc_id}", headers=billing.token("cashier"))
    body = d.json()
    assert (body["status"], body["fiscal_register"]) == ("registered", "recording")
    assert body["fiscal_number"].startswith("REC-") and body["fiscal_sign"]
    kz = body["payload"]
    assert (kz["format"], kz["operation_type"], kz["buyer_iin"]) == ("kz-ofd", "sale", "900517400123")
    assert kz["positions"][0]["national_catalogue_code"] and kz["payments"] == [
        {"type": "card", "amount": "12000.00"}
    ]
    # a correction receipt names its basis, once
    c = await billing.client.post(
        f"/v1/fiscal-documents/{doc_id}/corrections",
        json={"basis": "self", "basis_date": "2026-11-22", "basis_number": "7", "reason": "wrong VAT mode"},
        headers=billing.token("director"),
    )
    assert c.status_code == 201, c.text
    assert (
        c.json()["operation"] == "sale_correction" and c.json()["payload"]["correction"]["corrects"] == doc_id
    )
    again = await billing.client.post(
        f"/v1/fiscal-documents/{doc_id}/corrections",
        json={"basis": "self", "basis_date": "2026-11-22", "reason": "again"},
        headers=billing.token("director"),
    )
    assert (again.status_code, again.json()["code"]) == (409, "correction_not_allowed")


async def test_BIL_7_atol_online_registers_a_document_once_even_when_sent_again(
    atol: tuple[Atol, str],
) -> None:
    state, url = atol
    clock = FixedClock(datetime_utc())
    register = AtolOnline(
        base_url=url,
        login="clinic",
        password="secret",
        group_code=GROUP,
        company={
            "email": "kassa@clinic.example",
            "sno": "osn",
            "inn": "7701234567",
            "payment_address": "Москва",
        },
        clock=clock,
        report_polls=3,
        report_interval=0.01,
    )
    document = {
        "receipt_type": "sale",
        "total": "2500.00",
        "client": {"phone": "+79160000000"},
        "positions": [
            {
                "name": "Приём терапевта",
                "quantity": 1,
                "measure": "piece",
                "price": "2500.00",
                "amount": "2500.00",
                "vat": "none",
                "settlement_method": "full_prepayment",
                "item_type": "service",
            }
        ],
        "payments": [{"type": "card", "amount": "2500.00"}],
    }
    try:
        first = await register.register(document, "fiscal:abc")
        second = await register.register(document, "fiscal:abc")
    finally:
        await register.aclose()
    assert first.fiscal_number == second.fiscal_number == "1001" and first.fiscal_sign == "3000000001"
    assert state.registered() == 1 and state.sells == ["fiscal:abc", "fiscal:abc"]
    sent = state.documents["fiscal:abc"]["receipt"]
    assert sent["items"][0]["payment_method"] == "full_prepayment" and sent["items"][0]["payment_object"] == 4
    assert sent["items"][0]["vat"] == {"type": "none"} and sent["payments"] == [{"type": 1, "sum": 2500.0}]
    advance = atol_receipt(
        {
            **document,
            "positions": [
                {**document["positions"][0], "settlement_method": "advance", "item_type": "payment"}
            ],
        },
        {},
    )
    assert (advance["items"][0]["payment_method"], advance["items"][0]["payment_object"]) == ("advance", 10)


def datetime_utc() -> Any:
    from datetime import UTC, datetime

    return datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


async def partner_setup(billing: BillingHarness) -> tuple[UUID, UUID, UUID]:
    await billing.seed()
    await billing.learn_organization(ORG_ALMATY_ID)
    patient, stranger = await billing.learn_patient(ORG_ALMATY_ID), await billing.learn_patient(ORG_ALMATY_ID)
    r = await billing.client.post(
        "/v1/insurers",
        json={
            "organization_id": str(ORG_ALMATY_ID),
            "name": "Номад",
            "claim_layout": [
                {"field": "policy_number", "header": "Полис"},
                {"field": "amount", "header": "Сумма"},
            ],
        },
        headers=billing.token("director"),
    )
    insurer = UUID(r.json()["id"])
    other = UUID(
        (
            await billing.client.post(
                "/v1/insurers",
                json={"organization_id": str(ORG_ALMATY_ID), "name": "Другой"},
                headers=billing.token("director"),
            )
        ).json()["id"]
    )
    for who, ins, number in ((patient, insurer, "DMS-1"), (stranger, other, "DMS-2")):
        r = await billing.client.post(
            "/v1/insurance-policies",
            json={
                "patient_id": str(who),
                "insurer_id": str(ins),
                "policy_number": number,
                "valid_from": "2026-01-01",
                "valid_to": "2026-12-31",
                "service_codes": ["therapist_first", "ecg"],
            },
            headers=billing.token("registrar"),
        )
        assert r.status_code == 201, r.text
    return patient, insurer, other


async def test_BIL_19_insurer_checks_coverage_for_its_own_insured_only(billing: BillingHarness) -> None:
    patient, insurer, _ = await partner_setup(billing)
    me = billing.token("insurer", insurer_id=str(insurer))
    r = await billing.client.post(
        "/v1/partner/coverage-checks",
        json={"policy_number": "DMS-1", "service_code": "ecg", "date": "2026-12-01"},
        headers=me,
    )
    assert r.status_code == 201, r.text
    assert (r.json()["decision"], r.json()["patient_id"], r.json()["price"]["amount"]) == (
        "approved",
        str(patient),
        "5000.00",
    )
    r = await billing.client.post(
        "/v1/partner/coverage-checks",
        json={"policy_number": "DMS-1", "service_code": "ultrasound_abdomen", "date": "2026-12-01"},
        headers=me,
    )
    assert r.json()["decision"] == "denied" and r.json()["reasons"][0]["rule"] == "BIL-19"
    r = await billing.client.post(
        "/v1/partner/coverage-checks",
        json={"policy_number": "DMS-1", "service_code": "ecg", "date": "2027-02-01"},
        headers=me,
    )
    assert r.json()["decision"] == "denied"
    r = await billing.client.post(
        "/v1/partner/coverage-checks",
        json={"policy_number": "DMS-2", "service_code": "ecg", "date": "2026-12-01"},
        headers=me,
    )
    assert (r.status_code, r.json()["code"]) == (404, "policy_not_found")  # another insurer's insured
    r = await billing.client.post(
        "/v1/partner/coverage-checks",
        json={"policy_number": "DMS-1", "service_code": "ecg", "date": "2026-12-01"},
        headers=billing.token("insurer"),
    )
    assert (r.status_code, r.json()["code"]) == (403, "insurer_required")


async def test_BIL_19_claims_for_a_period_and_the_register_in_the_insurers_layout(
    billing: BillingHarness,
) -> None:
    patient, insurer, other = await partner_setup(billing)
    appointment = await billing.book(ORG_ALMATY_ID, patient, payer_kind="insurer", payer_ref=str(insurer))
    done = billing.clock.now() + timedelta(days=1)
    await billing.fulfill(ORG_ALMATY_ID, patient, appointment, "therapist_first", done)
    me = billing.token("insurer", insurer_id=str(insurer))
    r = await billing.client.get(
        "/v1/partner/claims", params={"from": "2026-11-01", "to": "2026-11-30"}, headers=me
    )
    assert r.status_code == 200, r.text
    assert [(c["service_code"], c["amount"]["amount"], c["policy_number"]) for c in r.json()["items"]] == [
        ("therapist_first", "12000.00", "DMS-1")
    ]
    theirs = billing.token("insurer", insurer_id=str(other))
    assert (
        await billing.client.get(
            "/v1/partner/claims", params={"from": "2026-11-01", "to": "2026-11-30"}, headers=theirs
        )
    ).json()["items"] == []
    csv_r = await billing.client.get(
        f"/v1/insurers/{insurer}/claims-register",
        params={"from": "2026-11-01", "to": "2026-11-30"},
        headers=me,
    )
    assert csv_r.status_code == 200 and csv_r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(csv_r.content.decode("utf-8-sig"))))
    assert rows == [["Полис", "Сумма"], ["DMS-1", "12000.00"]]
    r = await billing.client.put(
        f"/v1/insurers/{insurer}/claim-layout",
        json={
            "columns": [
                {"field": "service_code", "header": "Код"},
                {"field": "service_date", "header": "Дата"},
            ]
        },
        headers=billing.token("director"),
    )
    assert r.status_code == 200, r.text
    x = await billing.client.get(
        f"/v1/insurers/{insurer}/claims-register",
        params={"from": "2026-11-01", "to": "2026-11-30", "format": "xlsx"},
        headers=me,
    )
    sheet = load_workbook(io.BytesIO(x.content)).active
    assert sheet is not None
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        ["Код", "Дата"],
        ["therapist_first", "2026-11-23"],
    ]
    other_register = await billing.client.get(
        f"/v1/insurers/{other}/claims-register", params={"from": "2026-11-01", "to": "2026-11-30"}, headers=me
    )
    assert (other_register.status_code, other_register.json()["code"]) == (404, "insurer_not_found")
