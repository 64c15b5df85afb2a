"""Programs against a real database (BIL-12 to BIL-18): the demo program, enrolment with
prepayment, coverage with rule IDs, usage offsetting the advance, surcharges, home-visit charges."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import pytest

from clinic_common.demo import ORG_MOSCOW_ID
from clinic_common.events.payloads.home_visits import (
    AddressChangeAccepted,
    BiomaterialNotReady,
    DistanceBandData,
    HomeVisitCompleted,
    HomeVisitFalseCall,
    ZoneUpserted,
)
from clinic_common.events.payloads.records import HealthGroupChanged

from billing.demo import DEMO_PROGRAM_ID

if TYPE_CHECKING:
    from conftest import BillingHarness

pytestmark = pytest.mark.integration

M = ORG_MOSCOW_ID


async def enrolled(
    billing: BillingHarness, *, pay: bool = True, starts_on: str = "2026-12-01"
) -> tuple[UUID, dict[str, Any]]:
    await billing.seed()
    await billing.learn_organization(M)
    patient = await billing.learn_patient(M)
    r = await billing.client.post(
        "/v1/enrollments",
        json={"program_id": str(DEMO_PROGRAM_ID), "patient_id": str(patient), "starts_on": starts_on},
        headers=billing.token("registrar", M),
    )
    assert r.status_code == 201, r.text
    e = r.json()
    assert e["price"] == {"amount": "95000.00", "currency": "RUB"} and e["status"] == "awaiting_payment"
    if pay:
        p = await billing.pay(UUID(e["invoice_id"]), "95000.00", "RUB", method="card", org=M)
        assert p.status_code == 201, p.text
        assert p.json()["settlement"] == "advance"
    return patient, e


async def coverage(billing: BillingHarness, e: dict[str, Any], **params: str) -> dict[str, Any]:
    r = await billing.client.get(
        f"/v1/enrollments/{e['id']}/coverage", params=params, headers=billing.token("registrar", M)
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_BIL_12_demo_program_has_P_12_8_exclusions_and_sale_is_refused_for_P_12_8_3(
    billing: BillingHarness,
) -> None:
    await billing.seed()
    await billing.learn_organization(M)
    r = await billing.client.get(f"/v1/programs/{DEMO_PROGRAM_ID}", headers=billing.token("registrar", M))
    assert r.status_code == 200, r.text
    kinds = {x["kind"] for x in r.json()["exclusions"]}
    assert kinds == {"category", "disease", "condition", "dental"}
    patient = await billing.learn_patient(M)
    r = await billing.client.post(
        "/v1/enrollments",
        json={
            "program_id": str(DEMO_PROGRAM_ID),
            "patient_id": str(patient),
            "starts_on": "2026-12-01",
            "conditions": ["hiv"],
        },
        headers=billing.token("registrar", M),
    )
    assert (r.status_code, r.json()["code"], r.json()["rule"]) == (422, "enrollment_not_allowed", "BIL-12")


async def test_BIL_12_prepaid_enrolment_is_in_force_and_announced(billing: BillingHarness) -> None:
    _, e = await enrolled(billing, pay=False)
    assert (await coverage(billing, e, service_code="therapist_first", date="2026-12-02"))["covered"] is False
    await billing.pay(UUID(e["invoice_id"]), "95000.00", "RUB", method="card", org=M)
    got = await coverage(billing, e, service_code="therapist_first", date="2026-12-02")
    assert got["covered"] and got["reasons"][0]["rule"] == "BIL-12"
    created = await billing.fetch(
        "select envelope from outbox where type = 'clinic.billing.enrollment.created'"
    )
    assert created[0].envelope["data"]["ends_on"] == "2027-11-30"
    # P 12.9.1: the personal manager's contacts within 3 working days of purchase (Sun 22 Nov -> Wed 25 Nov)
    assert e["manager_contacts_due_on"] == "2026-11-25"


async def test_BIL_13_coverage_says_which_rule_charged_it(billing: BillingHarness) -> None:
    _, e = await enrolled(billing)
    no_referral = await coverage(billing, e, service_code="ecg", date="2026-12-02")
    assert not no_referral["covered"] and "BIL-13" in {x["rule"] for x in no_referral["reasons"]}
    excluded = await coverage(billing, e, service_code="holter_ecg", date="2026-12-02")
    assert any("P 12.8.1" in x["detail"] for x in excluded["reasons"])
    assert excluded["price"] == {"amount": "5500.00", "currency": "RUB"}  # BIL-1: charged at the price list
    outside = await coverage(billing, e, service_code="therapist_first", date="2028-01-01")
    assert "BIL-13" in {x["rule"] for x in outside["reasons"]}
    disease = await coverage(billing, e, service_code="therapist_first", date="2026-12-02", diagnosis="E11.9")
    assert any("P 12.8.2" in x["detail"] for x in disease["reasons"])
    dental = await coverage(billing, e, service_code="dental_cleaning_ultrasound", date="2026-12-02")
    assert any("P 12.8.4" in x["detail"] for x in dental["reasons"])


async def test_BIL_14_planned_service_before_the_program_starts_is_charged(billing: BillingHarness) -> None:
    _, e = await enrolled(billing)
    got = await coverage(billing, e, service_code="therapist_first", date="2026-11-30")
    assert not got["covered"] and "BIL-13" in {x["rule"] for x in got["reasons"]}


async def test_BIL_18_documents_beyond_the_list_are_charged(billing: BillingHarness) -> None:
    _, e = await enrolled(billing)
    listed = await coverage(billing, e, service_code="medical_certificate", date="2026-12-02")
    assert listed["covered"] and "BIL-18" not in {x["rule"] for x in listed["reasons"]}
    beyond = await coverage(billing, e, service_code="medical_record_extract", date="2026-12-02")
    assert not beyond["covered"] and {x["rule"] for x in beyond["reasons"]} == {"BIL-18"}
    assert beyond["price"] == {"amount": "1200.00", "currency": "RUB"}


async def test_BIL_12_usage_is_counted_and_offsets_the_advance_receipts_add_up(
    billing: BillingHarness,
) -> None:
    patient, e = await enrolled(billing)
    billing.clock.advance(timedelta(days=10))
    for n in range(2):
        appointment = await billing.book(
            M, patient, "cardiologist_first", enrollment_id=UUID(e["id"]), referral_id=uuid4()
        )
        done = billing.clock.now() + timedelta(days=1)
        await billing.fulfill(M, patient, appointment, "cardiologist_first", done)
    third = await billing.estimate_of(
        await billing.book(M, patient, "cardiologist_first", enrollment_id=UUID(e["id"]), referral_id=uuid4())
    )
    r = await billing.client.get(f"/v1/invoices/{third}", headers=billing.token("cashier", M))
    assert r.json()["items"][0]["coverage"] is None  # included twice, both used (BIL-12): charged
    used = await billing.client.get(f"/v1/enrollments/{e['id']}", headers=billing.token("registrar", M))
    assert used.json()["used"]["amount"] == "6400.00"  # 2 x 3200 at the price list
    # early termination: the rest comes back as a sale refund; advance = offsets + refund
    payment = (await billing.fetch("select id from payments where invoice_id = :i", i=UUID(e["invoice_id"])))[
        0
    ].id
    r = await billing.client.post(
        "/v1/refunds",
        json={"payment_id": str(payment), "basis": "early_termination"},
        headers={**billing.token("cashier", M), "Idempotency-Key": "term-1"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["amount"]["amount"] == "88600.00"
    docs = await billing.fetch(
        "select operation, settlement, total_minor from fiscal_documents"
        " where enrollment_id = :e order by id",
        e=UUID(e["id"]),
    )
    advance = sum(d.total_minor for d in docs if d.operation == "sale" and d.settlement == "advance")
    offsets = sum(d.total_minor for d in docs if d.operation == "sale" and d.settlement == "full_settlement")
    refunds = sum(d.total_minor for d in docs if d.operation == "sale_refund")
    assert advance == 9_500_000 and offsets == 640_000 and offsets + refunds == advance


async def test_BIL_16_address_moved_outside_the_base_zone_is_surcharged_by_band(
    billing: BillingHarness,
) -> None:
    patient, e = await enrolled(billing)
    zone = uuid4()
    await billing.deliver(
        ZoneUpserted(
            id=zone,
            organization_id=M,
            branch_id=None,
            name="МКАД",
            kind="base",
            order=0,
            polygon=[(37.0, 55.0)],
            distance_bands=[
                DistanceBandData(upper_km=15, surcharge_percent=15),
                DistanceBandData(upper_km=30, surcharge_percent=30),
            ],
        ),
        subject=zone,
    )
    await billing.deliver(
        AddressChangeAccepted(
            enrollment_id=UUID(e["id"]),
            patient_id=patient,
            organization_id=M,
            old_band_km=None,
            new_band_km=22.5,
            effective_on=date(2026, 12, 10),
            band_changed=True,
            filed_on=date(2026, 12, 3),
        ),
        subject=UUID(e["id"]),
    )
    (s,) = await billing.fetch("select id, percent, amount_minor, basis from surcharges")
    assert (s.basis, int(s.percent), s.amount_minor) == ("zone_band", 30, 2_850_000)  # 30 % of 95 000
    r = await billing.client.post(f"/v1/surcharges/{s.id}/refuse", headers=billing.token("registrar", M))
    assert r.status_code == 200 and r.json()["status"] == "refused"
    types = [x.type for x in await billing.fetch("select type from outbox order by position")]
    assert "clinic.billing.surcharge.proposed" in types and "clinic.billing.surcharge.refused" in types
    r = await billing.client.post(f"/v1/surcharges/{s.id}/accept", headers=billing.token("registrar", M))
    assert (r.status_code, r.json()["code"]) == (409, "surcharge_already_decided")


async def test_BIL_17_health_group_2B_raises_the_fee_50_percent_pro_rata(billing: BillingHarness) -> None:
    patient, _e = await enrolled(billing)
    await billing.deliver(
        HealthGroupChanged(
            patient_id=patient, organization_id=M, health_group="2B", established_on=date(2027, 6, 1)
        ),
        subject=patient,
    )
    (s,) = await billing.fetch("select id, amount_minor, basis from surcharges")
    # 2027-06-01..2027-11-30 is 183 of the period's 365 days: 50 % of 95 000 x 183/365
    assert (s.basis, s.amount_minor) == ("health_group", 2_381_507)
    r = await billing.client.post(f"/v1/surcharges/{s.id}/accept", headers=billing.token("registrar", M))
    assert r.status_code == 200 and r.json()["invoice_id"]
    r = await billing.client.get(
        f"/v1/invoices/{r.json()['invoice_id']}", headers=billing.token("cashier", M)
    )
    assert r.json()["total"]["amount"] == "23815.07" and r.json()["kind"] == "surcharge"


async def test_BIL_15_false_call_and_unprepared_samples_are_charged_home_care_outside_the_zone_too(
    billing: BillingHarness,
) -> None:
    patient, e = await enrolled(billing)
    branch = uuid4()
    visit = uuid4()
    common = dict(
        organization_id=M,
        patient_id=patient,
        branch_id=branch,
        kind="planned",
        scheduled_for=date(2026, 12, 5),
    )
    await billing.deliver(
        HomeVisitFalseCall(home_visit_id=visit, reason="patient_absent", **common), subject=visit
    )  # type: ignore[arg-type]
    await billing.deliver(
        HomeVisitFalseCall(home_visit_id=visit, reason="patient_absent", **common), subject=visit
    )  # type: ignore[arg-type]
    waived = uuid4()
    await billing.deliver(
        HomeVisitFalseCall(home_visit_id=waived, reason="other_patient_side", waived=True, **common),
        subject=waived,
    )  # type: ignore[arg-type]
    await billing.deliver(
        BiomaterialNotReady(home_visit_id=visit, patient_id=patient, organization_id=M), subject=visit
    )
    inside, outside = uuid4(), uuid4()
    for v, band in ((inside, None), (outside, 12.0)):
        await billing.deliver(
            HomeVisitCompleted(
                home_visit_id=v,
                practitioner_id=uuid4(),
                enrollment_id=UUID(e["id"]),
                distance_band_km=band,
                completed_at=billing.clock.now() + timedelta(days=10),
                **common,
            ),  # type: ignore[arg-type]
            subject=v,
        )
    rows = await billing.fetch(
        "select i.source, it.service_code, it.amount_minor from invoices i"
        " join invoice_items it on it.invoice_id = i.id where i.kind = 'charge' order by i.source"
    )
    charged = {(r.source.split(":")[0], r.service_code, r.amount_minor) for r in rows}
    assert charged == {
        ("false_call", "home_visit_false_call", 300_000),
        ("biomaterial", "home_sample_collection", 150_000),
        ("home_visit", "home_visit_planned", 450_000),  # the one outside the base zone
    }
    usage = await billing.fetch("select service_code from program_usage")
    assert [u.service_code for u in usage] == ["home_visit_planned"]
