"""Invoices against a real database: BIL-1 (price of the day, prepaid keeps its price), BIL-2,
BIL-3, BIL-4 (30-minute term, debt), BIL-6 (act), BIL-8 (payer), BIL-10 (debt events, penalty)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import pytest

from clinic_common.demo import ORG_ALMATY_ID
from clinic_common.events.payloads.scheduling import AppointmentRescheduled

from billing.sweep import run_once

if TYPE_CHECKING:
    from conftest import BillingHarness

pytestmark = pytest.mark.integration


async def ready(billing: BillingHarness, policy: dict[str, Any] | None = None) -> UUID:
    await billing.seed()
    await billing.learn_organization(ORG_ALMATY_ID, policy=policy)
    return await billing.learn_patient(ORG_ALMATY_ID)


async def invoice(billing: BillingHarness, invoice_id: UUID) -> dict[str, Any]:
    r = await billing.client.get(f"/v1/invoices/{invoice_id}", headers=billing.token("cashier"))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def new_prices(billing: BillingHarness, effective_from: str, therapist: str) -> None:
    r = await billing.client.post(
        "/v1/price-lists",
        json={
            "organization_id": str(ORG_ALMATY_ID),
            "effective_from": effective_from,
            "approval_order": "Приказ № 9",
            "items": [
                {
                    "service_code": "therapist_first",
                    "name": "Приём терапевта первичный",
                    "price": {"amount": therapist, "currency": "KZT"},
                    "category": "consultation",
                },
            ],
        },
        headers=billing.token("director"),
    )
    assert r.status_code == 201, r.text


async def test_BIL_1_a_moved_unpaid_visit_costs_the_price_of_its_new_day_a_prepaid_one_keeps_it(
    billing: BillingHarness,
) -> None:
    patient = await ready(billing)
    await new_prices(billing, "2026-12-01", "15000.00")
    start = billing.clock.now() + timedelta(days=1)
    unpaid = await billing.book(ORG_ALMATY_ID, patient, start=start)
    prepaid = await billing.book(ORG_ALMATY_ID, patient, start=start + timedelta(hours=2))
    unpaid_inv, prepaid_inv = await billing.estimate_of(unpaid), await billing.estimate_of(prepaid)
    assert (await invoice(billing, unpaid_inv))["total"]["amount"] == "12000.00"
    assert (await billing.pay(prepaid_inv, "12000.00")).status_code == 201
    later = billing.clock.now() + timedelta(days=12)  # after 2026-12-01
    for appointment in (unpaid, prepaid):
        await billing.deliver(
            AppointmentRescheduled(
                appointment_id=appointment,
                organization_id=ORG_ALMATY_ID,
                patient_id=patient,
                practitioner_id=uuid4(),
                branch_id=uuid4(),
                service_code="therapist_first",
                start=later,
                end=later + timedelta(minutes=30),
                previous_start=start,
                previous_practitioner_id=uuid4(),
            ),
            subject=appointment,
            sequence=2,
        )
    assert (await invoice(billing, unpaid_inv))["total"]["amount"] == "15000.00"
    kept = await invoice(billing, prepaid_inv)
    assert (kept["total"]["amount"], kept["balance_due"]["amount"]) == ("12000.00", "0.00")


async def test_BIL_2_state_order_service_is_never_charged_to_the_patient(billing: BillingHarness) -> None:
    patient = await ready(billing)
    inv = await invoice(
        billing, await billing.estimate_of(await billing.book(ORG_ALMATY_ID, patient, "gobmp_therapist"))
    )
    assert inv["payer"]["kind"] == "state"
    assert (inv["items"][0]["coverage_rule"], inv["balance_due"]["amount"]) == ("BIL-2", "0.00")


async def test_BIL_3_emergency_care_during_a_paid_visit_is_free(billing: BillingHarness) -> None:
    patient = await ready(billing)
    invoice_id = await billing.estimate_of(await billing.book(ORG_ALMATY_ID, patient))
    r = await billing.client.post(
        f"/v1/invoices/{invoice_id}/items",
        json={"items": [{"service_code": "injection_im", "emergency": True}, {"service_code": "ecg"}]},
        headers=billing.token("doctor"),
    )
    assert r.status_code == 200, r.text
    items = {i["service_code"]: i for i in r.json()["items"]}
    assert (items["injection_im"]["amount"]["amount"], items["injection_im"]["coverage_rule"]) == (
        "0.00",
        "BIL-3",
    )
    assert items["ecg"]["amount"]["amount"] == "5000.00"


async def test_BIL_4_services_added_during_the_visit_are_due_in_30_minutes_then_BIL_10_a_debt_opens(
    billing: BillingHarness,
) -> None:
    patient = await ready(billing)
    invoice_id = await billing.estimate_of(await billing.book(ORG_ALMATY_ID, patient))
    assert (await billing.pay(invoice_id, "12000.00")).status_code == 201
    r = await billing.client.post(
        f"/v1/invoices/{invoice_id}/items",
        json={"items": [{"service_code": "ecg"}]},
        headers=billing.token("nurse"),
    )
    assert r.status_code == 200, r.text
    item = next(i for i in r.json()["items"] if i["service_code"] == "ecg")
    assert item["due_at"].startswith("2026-11-22T14:30:00")  # received 14:00 Almaty, + 30 minutes
    billing.clock.advance(timedelta(minutes=29))
    assert await run_once(billing.app.state.db.sessionmaker, billing.clock) == 0
    billing.clock.advance(timedelta(minutes=2))
    assert await run_once(billing.app.state.db.sessionmaker, billing.clock) == 1
    assert await run_once(billing.app.state.db.sessionmaker, billing.clock) == 0  # one debt per invoice
    r = await billing.client.get(f"/v1/patients/{patient}/balance", headers=billing.token("registrar"))
    assert r.status_code == 200, r.text
    assert r.json()["debt"]["amount"] == "5000.00" and len(r.json()["open_debts"]) == 1
    assert (await billing.pay(invoice_id, "5000.00")).status_code == 201
    types = [t.type for t in await billing.fetch("select type from outbox order by position")]
    assert types.index("clinic.billing.debt.opened") < types.index("clinic.billing.debt.settled")
    r = await billing.client.get(f"/v1/patients/{patient}/balance", headers=billing.token("registrar"))
    assert r.json()["open_debts"] == [] and r.json()["debt"]["amount"] == "0.00"


async def test_BIL_10_late_payment_penalty_follows_the_policy(billing: BillingHarness) -> None:
    patient = await ready(
        billing,
        {
            "payment_timing": "before_service",
            "extra_services_payment_minutes": 30,
            "late_payment_penalty_percent_per_day": "0.5",
        },
    )
    invoice_id = await billing.estimate_of(await billing.book(ORG_ALMATY_ID, patient))
    await billing.client.post(
        f"/v1/invoices/{invoice_id}/items",
        json={"items": [{"service_code": "ecg"}]},
        headers=billing.token("nurse"),
    )
    billing.clock.advance(timedelta(days=2, minutes=31))
    await run_once(billing.app.state.db.sessionmaker, billing.clock)
    await run_once(billing.app.state.db.sessionmaker, billing.clock)
    inv = await invoice(billing, invoice_id)
    penalty = [i for i in inv["items"] if i["service_code"] == "late_payment_penalty"]
    assert penalty and penalty[0]["coverage_rule"] == "BIL-10"
    assert penalty[0]["amount"]["amount"] == "170.00"  # 0.5 % a day of 17 000 for 2 full days


async def test_BIL_6_the_act_is_issued_when_the_visit_completes(billing: BillingHarness) -> None:
    patient = await ready(billing)
    appointment = await billing.book(ORG_ALMATY_ID, patient)
    invoice_id = await billing.estimate_of(appointment)
    done = billing.clock.now() + timedelta(days=1, minutes=30)
    await billing.fulfill(ORG_ALMATY_ID, patient, appointment, "therapist_first", done)
    inv = await invoice(billing, invoice_id)
    assert inv["kind"] == "act" and inv["act_issued_at"] is not None
    assert [i["status"] for i in inv["items"]] == ["rendered"]
    issued = [
        r.envelope["data"]["kind"]
        for r in await billing.fetch(
            "select envelope from outbox where type = 'clinic.billing.invoice.issued' order by position"
        )
    ]
    assert issued == ["estimate", "act"]
    r = await billing.client.post(
        f"/v1/invoices/{invoice_id}/items",
        json={"items": [{"service_code": "ecg"}]},
        headers=billing.token("doctor"),
    )
    assert (r.status_code, r.json()["code"]) == (409, "act_already_issued")


async def test_BIL_8_insurer_pays_with_a_policy_on_file_else_the_patient(billing: BillingHarness) -> None:
    patient = await ready(billing)
    r = await billing.client.post(
        "/v1/insurers",
        json={"organization_id": str(ORG_ALMATY_ID), "name": "Номад Иншуранс"},
        headers=billing.token("director"),
    )
    assert r.status_code == 201, r.text
    insurer = r.json()["id"]
    no_policy = await invoice(
        billing,
        await billing.estimate_of(
            await billing.book(ORG_ALMATY_ID, patient, payer_kind="insurer", payer_ref=insurer)
        ),
    )
    assert no_policy["payer"]["kind"] == "patient"
    r = await billing.client.post(
        "/v1/insurance-policies",
        json={
            "patient_id": str(patient),
            "insurer_id": insurer,
            "policy_number": "DMS-001",
            "valid_from": "2026-01-01",
            "valid_to": "2026-12-31",
        },
        headers=billing.token("registrar"),
    )
    assert r.status_code == 201, r.text
    covered = await invoice(
        billing,
        await billing.estimate_of(
            await billing.book(ORG_ALMATY_ID, patient, payer_kind="insurer", payer_ref=insurer)
        ),
    )
    assert covered["payer"] == {"kind": "insurer", "ref": insurer}


async def test_BIL_1_unknown_service_code_is_refused_with_a_code(billing: BillingHarness) -> None:
    patient = await ready(billing)
    invoice_id = await billing.estimate_of(await billing.book(ORG_ALMATY_ID, patient))
    r = await billing.client.post(
        f"/v1/invoices/{invoice_id}/items",
        json={"items": [{"service_code": "no_such_service"}]},
        headers=billing.token("doctor"),
    )
    assert (r.status_code, r.json()["code"]) == (422, "service_unknown")


async def test_BIL_5_foreign_currency_by_bank_transfer_against_an_invoice_issued_in_it(
    billing: BillingHarness,
) -> None:
    patient = await ready(billing)
    r = await billing.client.post(
        "/v1/invoices",
        json={
            "patient_id": str(patient),
            "items": [{"service_code": "ultrasound_abdomen"}],
            "currency": "USD",
            "exchange_rate": "500",
        },
        headers=billing.token("cashier"),
    )
    assert r.status_code == 201, r.text
    inv = r.json()
    assert inv["total"] == {"amount": "20.00", "currency": "USD"} and inv["bank_transfer_only"]
    assert (await billing.pay(UUID(inv["id"]), "20.00", "USD", method="cash")).json()[
        "code"
    ] == "currency_not_accepted"
    r = await billing.pay(UUID(inv["id"]), "20.00", "KZT", method="bank_transfer")
    assert r.json()["code"] == "currency_mismatch"
    assert (await billing.pay(UUID(inv["id"]), "20.00", "USD", method="bank_transfer")).status_code == 201


async def test_BIL_11_discounts_name_a_basis_never_a_social_one_individual_ones_need_the_director(
    billing: BillingHarness,
) -> None:
    patient = await ready(billing)
    base = {"organization_id": str(ORG_ALMATY_ID)}
    r = await billing.client.post(
        "/v1/discounts",
        json={
            **base,
            "kind": "individual",
            "basis": "Инвалидность II группы",
            "percent": "20",
            "patient_id": str(patient),
            "application_ref": "Заявление 3",
        },
        headers=billing.token("registrar"),
    )
    assert (r.status_code, r.json()["code"], r.json()["rule"]) == (422, "social_discount_forbidden", "BIL-11")
    r = await billing.client.post(
        "/v1/discounts",
        json={**base, "kind": "promotion", "basis": "Осенняя акция", "percent": "10"},
        headers=billing.token("director"),
    )
    assert (r.status_code, r.json()["code"]) == (422, "promotion_period_required")
    r = await billing.client.post(
        "/v1/discounts",
        json={
            **base,
            "kind": "individual",
            "basis": "Постоянный клиент",
            "percent": "15",
            "patient_id": str(patient),
            "application_ref": "Заявление 4",
        },
        headers=billing.token("registrar"),
    )
    assert r.status_code == 201 and r.json()["status"] == "pending_approval"
    before = await invoice(billing, await billing.estimate_of(await billing.book(ORG_ALMATY_ID, patient)))
    assert before["items"][0]["discount_percent"] is None  # not approved yet
    a = await billing.client.post(
        f"/v1/discounts/{r.json()['id']}/approve", headers=billing.token("director")
    )
    assert a.status_code == 200 and a.json()["status"] == "active"
    after = await invoice(
        billing,
        await billing.estimate_of(
            await billing.book(ORG_ALMATY_ID, patient, start=billing.clock.now() + timedelta(days=2))
        ),
    )
    assert (after["items"][0]["discount_percent"], after["total"]["amount"]) == ("15.00", "10200.00")
    r = await billing.client.post(
        "/v1/discounts",
        json={
            **base,
            "kind": "promotion",
            "basis": "Акция на ЭКГ",
            "percent": "20",
            "service_codes": ["ecg"],
            "valid_from": "2026-11-01",
            "valid_to": "2026-11-30",
        },
        headers=billing.token("director"),
    )
    assert r.status_code == 201 and r.json()["status"] == "active"
    ecg = await invoice(
        billing,
        await billing.estimate_of(
            await billing.book(ORG_ALMATY_ID, patient, "ecg", start=billing.clock.now() + timedelta(days=3))
        ),
    )
    assert ecg["total"]["amount"] == "4000.00"  # the promotion (20 %) beats the individual 15 %


async def test_BIL_10_damage_is_claimed_from_whoever_caused_it_due_in_7_working_days(
    billing: BillingHarness,
) -> None:
    patient = await ready(billing)
    r = await billing.client.post(
        "/v1/damage-claims",
        json={
            "patient_id": str(patient),
            "caused_by": "companion",
            "companion_name": "Иванов И.",
            "amount": {"amount": "8000.00", "currency": "KZT"},
            "description": "разбитое стекло",
        },
        headers=billing.token("registrar"),
    )
    assert r.status_code == 201, r.text
    claim = r.json()
    assert claim["payer"] == {"kind": "third_party", "ref": "Иванов И."} and claim["kind"] == "damage"
    # claimed Sunday 2026-11-22 (Almaty): working days 23-27 Nov, 30 Nov, 1 Dec
    assert claim["due_at"].startswith("2026-12-01T23:59:59")
    billing.clock.advance(timedelta(days=9))  # 2026-12-01 09:00Z: 14:00 in Almaty, still in time
    assert await run_once(billing.app.state.db.sessionmaker, billing.clock) == 0
    billing.clock.advance(timedelta(hours=10))  # past 23:59:59 Almaty
    assert await run_once(billing.app.state.db.sessionmaker, billing.clock) == 1
    (debt,) = await billing.fetch("select reason, amount_minor from debts")
    assert (debt.reason, debt.amount_minor) == ("damage", 800_000)
