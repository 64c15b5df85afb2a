"""Estimate -> payment -> act against a real database (BIL-1, BIL-4, BIL-5, BIL-6, BIL-7)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import uuid4

import pytest

from clinic_common.demo import ORG_ALMATY_ID

if TYPE_CHECKING:
    from conftest import BillingHarness

pytestmark = pytest.mark.integration


async def ready(billing: BillingHarness) -> None:
    await billing.seed()
    await billing.learn_organization(ORG_ALMATY_ID)


async def test_BIL_6_booking_makes_an_estimate_payment_gets_a_numbered_receipt_and_the_act_follows(
    billing: BillingHarness,
) -> None:
    await ready(billing)
    patient = await billing.learn_patient(ORG_ALMATY_ID)
    appointment = await billing.book(ORG_ALMATY_ID, patient)
    invoice_id = await billing.estimate_of(appointment)
    r = await billing.client.get(f"/v1/invoices/{invoice_id}", headers=billing.token("cashier"))
    assert r.status_code == 200, r.text
    inv = r.json()
    assert inv["kind"] == "estimate" and inv["payer"] == {"kind": "patient", "ref": None}
    assert inv["total"] == {"amount": "12000.00", "currency": "KZT"}  # BIL-1: the price list in force
    r = await billing.pay(invoice_id, "12000.00")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["receipt"]["number"] == 1 and body["balance_due"]["amount"] == "0.00"
    assert body["settlement"] == "full_prepayment"
    r2 = await billing.pay(invoice_id, "1.00")
    assert (r2.status_code, r2.json()["code"]) == (422, "amount_mismatch")
    rec = await billing.client.get(
        "/v1/ledger/reconciliation",
        params={"organization_id": str(ORG_ALMATY_ID)},
        headers=billing.token("director"),
    )
    assert rec.status_code == 200, rec.text
    assert rec.json()["ok"], rec.json()


async def test_BIL_5_foreign_currency_at_the_cashier_is_refused(billing: BillingHarness) -> None:
    await ready(billing)
    patient = await billing.learn_patient(ORG_ALMATY_ID)
    invoice_id = await billing.estimate_of(await billing.book(ORG_ALMATY_ID, patient))
    r = await billing.pay(invoice_id, "30.00", "USD", method="cash")
    assert (r.status_code, r.json()["code"], r.json()["rule"]) == (422, "currency_not_accepted", "BIL-5")
    r = await billing.pay(invoice_id, "-1.00")
    assert (r.status_code, r.json()["code"]) == (422, "validation_failed")
    r = await billing.pay(invoice_id, "0.00")
    assert (r.status_code, r.json()["code"]) == (422, "amount_not_positive")
    r = await billing.client.post(
        "/v1/payments",
        json={
            "invoice_id": str(invoice_id),
            "amount": {"amount": "1.00", "currency": "KZT"},
            "method": "cash",
        },
        headers=billing.token("cashier"),
    )
    assert (r.status_code, r.json()["code"]) == (400, "idempotency_key_required")
    r = await billing.pay(uuid4(), "1.00")
    assert (r.status_code, r.json()["code"]) == (404, "invoice_not_found")
