"""Refunds (BIL-9), credit, the ledger's database guard (BIL-7) and concurrency against real
PostgreSQL: one payment per Idempotency-Key, no silent overpayment, receipt numbers without gaps."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from clinic_common.demo import ORG_ALMATY_ID
from clinic_common.events.payloads.records import ComplaintDecided

if TYPE_CHECKING:
    from conftest import BillingHarness

pytestmark = pytest.mark.integration


async def paid_visit(
    billing: BillingHarness, amount: str = "12000.00"
) -> tuple[UUID, UUID, UUID, dict[str, Any]]:
    await billing.seed()
    await billing.learn_organization(ORG_ALMATY_ID)
    patient = await billing.learn_patient(ORG_ALMATY_ID)
    appointment = await billing.book(ORG_ALMATY_ID, patient)
    invoice_id = await billing.estimate_of(appointment)
    r = await billing.pay(invoice_id, amount)
    assert r.status_code == 201, r.text
    return patient, appointment, invoice_id, r.json()


async def refund(billing: BillingHarness, body: dict[str, Any], key: str | None = None) -> Any:
    return await billing.client.post(
        "/v1/refunds", json=body, headers={**billing.token("cashier"), "Idempotency-Key": key or str(uuid4())}
    )


async def reconciled(billing: BillingHarness) -> dict[str, Any]:
    r = await billing.client.get(
        "/v1/ledger/reconciliation",
        params={"organization_id": str(ORG_ALMATY_ID)},
        headers=billing.token("director"),
    )
    body: dict[str, Any] = r.json()
    assert body["ok"], body
    return body


async def test_BIL_9_refusal_needs_a_written_application_and_returns_the_unrendered_part(
    billing: BillingHarness,
) -> None:
    _, _, _, payment = await paid_visit(billing)
    r = await refund(billing, {"payment_id": payment["id"], "basis": "refusal"})
    assert (r.status_code, r.json()["code"]) == (422, "application_required")
    r = await refund(
        billing, {"payment_id": payment["id"], "basis": "refusal", "application_ref": "Заявление № 5"}
    )
    assert r.status_code == 201, r.text
    assert (r.json()["amount"]["amount"], r.json()["status"]) == ("12000.00", "paid")
    again = await refund(
        billing, {"payment_id": payment["id"], "basis": "refusal", "application_ref": "Заявление № 6"}
    )
    assert (again.status_code, again.json()["code"]) == (409, "payment_already_refunded")
    await reconciled(billing)


async def test_BIL_9_is_idempotent_with_its_key(billing: BillingHarness) -> None:
    _, _, _, payment = await paid_visit(billing)
    body = {"payment_id": payment["id"], "basis": "refusal", "application_ref": "Заявление № 5"}
    first, second = await refund(billing, body, "k-1"), await refund(billing, body, "k-1")
    assert first.status_code == second.status_code == 201 and first.json()["id"] == second.json()["id"]
    assert len(await billing.fetch("select id from refunds")) == 1


async def test_BIL_9_nothing_rendered_is_refunded_beyond_paid_minus_rendered(billing: BillingHarness) -> None:
    patient, appointment, _invoice_id, payment = await paid_visit(billing)
    done = billing.clock.now() + timedelta(hours=1)
    await billing.fulfill(ORG_ALMATY_ID, patient, appointment, "therapist_first", done)
    r = await refund(billing, {"payment_id": payment["id"], "basis": "early_termination"})
    assert (r.status_code, r.json()["code"], r.json()["rule"]) == (422, "refund_not_allowed", "BIL-9")
    r = await refund(
        billing, {"payment_id": payment["id"], "basis": "early_termination", "patient_breach": True}
    )
    assert r.json()["code"] == "refund_not_allowed"


async def test_BIL_9_cancelled_by_the_organization_is_refunded_in_full_a_noshow_is_not(
    billing: BillingHarness,
) -> None:
    patient, appointment, _invoice_id, _payment = await paid_visit(billing)
    await billing.cancel(ORG_ALMATY_ID, patient, appointment, "absence", True)
    pending = await billing.client.get(
        "/v1/refunds", params={"status": "pending"}, headers=billing.token("cashier")
    )
    assert [(x["basis"], x["amount"]["amount"]) for x in pending.json()["items"]] == [
        ("cancellation", "12000.00")
    ]
    r = await billing.client.post(
        f"/v1/refunds/{pending.json()['items'][0]['id']}/pay", headers=billing.token("cashier")
    )
    assert r.status_code == 200 and r.json()["status"] == "paid"
    await reconciled(billing)
    # a no-show (SCH-7): not refunded
    other = await billing.book(ORG_ALMATY_ID, patient)
    other_invoice = await billing.estimate_of(other)
    other_payment = (await billing.pay(other_invoice, "12000.00")).json()
    await billing.cancel(ORG_ALMATY_ID, patient, other, "noshow", False)
    r = await refund(billing, {"payment_id": other_payment["id"], "basis": "cancellation"})
    assert (r.status_code, r.json()["code"]) == (422, "refund_not_allowed")


async def test_BIL_9_ORG_4_upheld_complaint_is_refunded_within_10_working_days_and_tracked(
    billing: BillingHarness,
) -> None:
    patient, _, invoice_id, payment = await paid_visit(billing)
    complaint = uuid4()
    await billing.deliver(
        ComplaintDecided(
            complaint_id=complaint,
            patient_id=patient,
            upheld=True,
            refund_amount="7000.00",
            refund_currency="KZT",
            invoice_id=invoice_id,
        ),
        subject=complaint,
    )
    r = await billing.client.get(
        "/v1/refunds", params={"status": "pending"}, headers=billing.token("cashier")
    )
    (ordered,) = r.json()["items"]
    # decided on Sunday 2026-11-22 (Almaty): working days 23-27 Nov, 30 Nov, 1-4 Dec (ORG-4)
    assert (ordered["basis"], ordered["amount"]["amount"], ordered["due_on"]) == (
        "complaint",
        "7000.00",
        "2026-12-04",
    )
    billing.clock.advance(timedelta(days=16))
    overdue = await billing.client.get(
        "/v1/refunds", params={"overdue": "true"}, headers=billing.token("cashier")
    )
    assert [x["id"] for x in overdue.json()["items"]] == [ordered["id"]] and overdue.json()["items"][0][
        "overdue"
    ]
    r = await refund(
        billing, {"payment_id": payment["id"], "basis": "complaint", "complaint_id": str(complaint)}
    )
    assert r.status_code == 201 and r.json()["status"] == "paid"
    await billing.deliver(  # redelivered decision: nothing ordered twice
        ComplaintDecided(
            complaint_id=complaint,
            patient_id=patient,
            upheld=True,
            refund_amount="7000.00",
            refund_currency="KZT",
            invoice_id=invoice_id,
        ),
        subject=complaint,
    )
    assert len(await billing.fetch("select id from refunds")) == 1
    await reconciled(billing)


async def test_BIL_4_overpayment_becomes_credit_that_a_later_invoice_draws_on_or_that_is_refunded(
    billing: BillingHarness,
) -> None:
    await billing.seed()
    await billing.learn_organization(ORG_ALMATY_ID)
    patient = await billing.learn_patient(ORG_ALMATY_ID)
    first = await billing.estimate_of(await billing.book(ORG_ALMATY_ID, patient))
    r = await billing.pay(first, "20000.00", excess="credit")
    assert r.status_code == 201, r.text
    assert (r.json()["applied"]["amount"], r.json()["credited"]["amount"]) == ("12000.00", "8000.00")
    second = await billing.estimate_of(await billing.book(ORG_ALMATY_ID, patient, "ecg"))
    r = await billing.client.post(
        f"/v1/invoices/{second}/apply-credit",
        json={},
        headers={**billing.token("cashier"), "Idempotency-Key": "c1"},
    )
    assert r.status_code == 201, r.text
    assert (r.json()["method"], r.json()["amount"]["amount"]) == ("advance", "5000.00")
    balance = (
        await billing.client.get(f"/v1/patients/{patient}/balance", headers=billing.token("cashier"))
    ).json()
    assert balance["credit"]["amount"] == "3000.00"
    payment_id = (await billing.fetch("select id from payments where credited_minor > 0"))[0].id
    r = await refund(
        billing,
        {
            "payment_id": str(payment_id),
            "basis": "overpayment",
            "amount": {"amount": "3000.01", "currency": "KZT"},
        },
    )
    assert r.json()["code"] == "refund_not_allowed"
    r = await refund(billing, {"payment_id": str(payment_id), "basis": "overpayment"})
    assert r.status_code == 201 and r.json()["amount"]["amount"] == "3000.00"
    await reconciled(billing)


async def test_BIL_7_the_database_refuses_an_unbalanced_ledger_transaction(billing: BillingHarness) -> None:
    await billing.seed()
    await billing.learn_organization(ORG_ALMATY_ID)
    patient = await billing.learn_patient(ORG_ALMATY_ID)
    await billing.book(ORG_ALMATY_ID, patient)
    account = (await billing.fetch("select id, currency from ledger_accounts limit 1"))[0]
    tx = uuid4()
    with pytest.raises(DBAPIError, match="does not balance"):
        async with billing.app.state.db.engine.begin() as conn:
            await conn.execute(
                text(
                    "insert into ledger_transactions"
                    " (id, organization_id, kind, ref_type, ref_id, memo, occurred_at)"
                    " values (:id, :org, 'hack', 'test', :id, '', now())"
                ),
                {"id": tx, "org": ORG_ALMATY_ID},
            )
            for amount in (100, -99):
                await conn.execute(
                    text(
                        "insert into ledger_entries (id, transaction_id, account_id, currency, amount_minor)"
                        " values (:id, :tx, :acc, :cur, :amount)"
                    ),
                    {"id": uuid4(), "tx": tx, "acc": account.id, "cur": account.currency, "amount": amount},
                )
    with pytest.raises(DBAPIError, match="append-only"):
        async with billing.app.state.db.engine.begin() as conn:
            await conn.execute(text("update ledger_entries set amount_minor = amount_minor + 1"))
    with pytest.raises(DBAPIError, match="at least two"):
        async with billing.app.state.db.engine.begin() as conn:
            await conn.execute(
                text(
                    "insert into ledger_transactions"
                    " (id, organization_id, kind, ref_type, ref_id, memo, occurred_at)"
                    " values (:id, :org, 'empty', 'test', :id, '', now())"
                ),
                {"id": uuid4(), "org": ORG_ALMATY_ID},
            )
    await reconciled(billing)


async def test_BIL_7_fifty_concurrent_identical_payments_with_one_key_make_one_payment(
    billing: BillingHarness,
) -> None:
    await billing.seed()
    await billing.learn_organization(ORG_ALMATY_ID)
    patient = await billing.learn_patient(ORG_ALMATY_ID)
    invoice_id = await billing.estimate_of(await billing.book(ORG_ALMATY_ID, patient))
    answers = await asyncio.gather(*(billing.pay(invoice_id, "12000.00", key="same-key") for _ in range(50)))
    statuses = sorted({r.status_code for r in answers})
    assert set(statuses) <= {201, 409}, statuses
    assert all(r.json()["code"] == "idempotency_key_in_progress" for r in answers if r.status_code == 409)
    ids = {r.json()["id"] for r in answers if r.status_code == 201}
    assert len(ids) == 1
    rows = await billing.fetch("select id, amount_minor from payments")
    assert [(str(r.id), r.amount_minor) for r in rows] == [(ids.pop(), 1_200_000)]
    assert type(rows[0].amount_minor) is int  # never a float
    await reconciled(billing)


async def test_BIL_7_concurrent_payments_on_one_invoice_never_overpay_silently(
    billing: BillingHarness,
) -> None:
    await billing.seed()
    await billing.learn_organization(ORG_ALMATY_ID)
    patient = await billing.learn_patient(ORG_ALMATY_ID)
    invoice_id = await billing.estimate_of(await billing.book(ORG_ALMATY_ID, patient))
    answers = await asyncio.gather(*(billing.pay(invoice_id, "5000.00") for _ in range(6)))
    accepted = [r for r in answers if r.status_code == 201]
    refused = [r for r in answers if r.status_code != 201]
    assert {r.json()["code"] for r in refused} == {"amount_mismatch"}
    paid = sum(int(r.json()["applied"]["amount"].replace(".", "")) for r in accepted)
    assert paid <= 1_200_000 and len(accepted) == 2  # 5000 + 5000; 2000 is left, 5000 more is refused
    credited = await asyncio.gather(*(billing.pay(invoice_id, "5000.00", excess="credit") for _ in range(3)))
    assert all(r.status_code == 201 for r in credited)
    parts = [(r.json()["applied"]["amount"], r.json()["credited"]["amount"]) for r in credited]
    assert sorted(parts) == [("0.00", "5000.00"), ("0.00", "5000.00"), ("2000.00", "3000.00")]
    numbers = sorted(x.receipt_number for x in await billing.fetch("select receipt_number from payments"))
    assert numbers == list(range(1, len(numbers) + 1))  # in sequence, no gaps
    await reconciled(billing)


async def test_BIL_7_receipt_numbers_have_no_gaps_under_concurrency_and_failures(
    billing: BillingHarness,
) -> None:
    await billing.seed()
    await billing.learn_organization(ORG_ALMATY_ID)
    patient = await billing.learn_patient(ORG_ALMATY_ID)
    invoices = [
        await billing.estimate_of(
            await billing.book(ORG_ALMATY_ID, patient, start=billing.clock.now() + timedelta(days=1, hours=i))
        )
        for i in range(8)
    ]
    calls = [billing.pay(i, "12000.00") for i in invoices] + [
        billing.pay(i, "99999.00") for i in invoices[:4]
    ]
    answers = await asyncio.gather(*calls)
    assert sorted(r.status_code for r in answers) == [201] * 8 + [422] * 4
    numbers = sorted(x.receipt_number for x in await billing.fetch("select receipt_number from payments"))
    assert numbers == list(range(1, 9))
