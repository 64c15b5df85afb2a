"""Records' rules through the API and its event handlers, on real PostgreSQL (domain-rules.md REC, ORG-3)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from clinic_common.clock import SharedOffsetClock
from clinic_common.events.payloads.billing import PaymentCaptured
from clinic_common.events.payloads.scheduling import (
    AppointmentArrived,
    AppointmentFulfilled,
    AppointmentNoshow,
)
from clinic_testkit.stack import teach

pytestmark = pytest.mark.integration


async def outbox_types(world: Any) -> list[str]:
    return [r.type for r in await world.sql("SELECT type FROM outbox ORDER BY position")]


async def diagnosis(world: Any, pid: str, **over: Any) -> Any:
    body = {"kind": "diagnosis", "text": "ОРВИ", "icd10": "J06.9", **over}
    return await world.svc.client.post(f"/v1/patients/{pid}/entries", json=body, headers=world.doctor())


def visit(world: Any, pid: str, aid: uuid.UUID, **extra: Any) -> dict[str, Any]:
    start = world.NOW + timedelta(days=1)
    return dict(
        appointment_id=aid,
        organization_id=world.ORG,
        patient_id=uuid.UUID(pid),
        practitioner_id=world.DOCTOR,
        branch_id=world.BRANCH,
        service_code="therapist_first",
        start=start,
        end=start + timedelta(minutes=30),
        **extra,
    )


# REC-2 -------------------------------------------------------------------------------------------


async def test_REC_2_photo_video_consent_is_recorded_separately(world: Any) -> None:
    p = await world.register(photo_video_consent=False)
    r = await world.svc.client.get(f"/v1/patients/{p['id']}/consents", headers=world.registrar)
    assert sorted((c["kind"], c["given"], c["channel"]) for c in r.json()["items"]) == [
        ("personal_data", True, "registry"),
        ("photo_video", False, "registry"),
    ]


# ORG-3, REC-3, REC-4 -----------------------------------------------------------------------------


async def publish(world: Any, effective_from: str) -> Any:
    return await world.svc.client.post(
        "/v1/offers",
        json={
            "organization_id": str(world.ORG),
            "title": "Публичный договор",
            "text": "Текст оферты",
            "effective_from": effective_from,
        },
        headers=world.token("director"),
    )


async def test_ORG_3_offer_published_with_5_working_days_notice_and_patients_told(world: Any) -> None:
    p = await world.register()
    short = await publish(world, "2026-12-09")  # Thu 3 Dec + 5 working days = Thu 10 Dec
    assert (short.status_code, short.json()["code"], short.json()["rule"]) == (
        422,
        "offer_notice_too_short",
        "ORG-3",
    )
    ok = await publish(world, "2026-12-10")
    assert ok.status_code == 201, ok.text
    assert ok.json()["published_on"] == "2026-12-03"
    assert ok.json()["notice_working_days"] == 5
    told = await world.svc.client.get(f"/v1/patients/{p['id']}/notifications", headers=world.person(p["id"]))
    assert [n["kind"] for n in told.json()["items"]] == ["offer_changed"]


async def test_REC_3_acceptance_once_per_version_from_the_act_that_caused_it(world: Any) -> None:
    assert (await publish(world, "2026-12-10")).status_code == 201
    p = await world.register()
    # Before the version takes effect nothing is accepted; from 10 Dec the call-centre booking does.
    aid = uuid.uuid4()
    await world.book(p["id"], channel="registry", appointment_id=aid)
    from clinic_common.clock import SharedOffsetClock

    SharedOffsetClock(world.stack.clock_file).set(world.NOW + timedelta(days=7))
    await world.book(p["id"], channel="call_center")
    await teach(
        world.svc,
        PaymentCaptured(
            amount="1500.00",
            currency="KZT",
            payment_id=uuid.uuid4(),
            invoice_id=uuid.uuid4(),
            patient_id=uuid.UUID(p["id"]),
            balance_due="0.00",
        ),
        aggregate_id=uuid.uuid4(),
    )
    r = await world.svc.client.get(f"/v1/patients/{p['id']}/offer-acceptances", headers=world.registrar)
    assert [a["act"] for a in r.json()["items"]] == [
        "call_center_booking"
    ]  # once per version, by the first act
    # O 7.10.2 (O preset): photo/video consent comes with the acceptance (REC-2).
    consents = await world.svc.client.get(f"/v1/patients/{p['id']}/consents", headers=world.registrar)
    assert ("photo_video", "offer_acceptance") in [
        (c["kind"], c["channel"]) for c in consents.json()["items"]
    ]


async def test_REC_3_service_received_and_payment_accept(world: Any) -> None:
    assert (await publish(world, "2026-12-10")).status_code == 201
    from clinic_common.clock import SharedOffsetClock

    SharedOffsetClock(world.stack.clock_file).set(world.NOW + timedelta(days=7))
    a, b = await world.register(), await world.register()
    aid = uuid.uuid4()
    await teach(
        world.svc,
        AppointmentFulfilled(**visit(world, a["id"], aid), fulfilled_at=world.NOW + timedelta(days=7)),
        aggregate_id=aid,
    )
    await teach(
        world.svc,
        PaymentCaptured(
            amount="1.00",
            currency="KZT",
            payment_id=uuid.uuid4(),
            invoice_id=uuid.uuid4(),
            patient_id=uuid.UUID(b["id"]),
            balance_due="0.00",
        ),
        aggregate_id=uuid.uuid4(),
    )
    acts = await world.sql("SELECT act FROM offer_acceptances ORDER BY accepted_at")
    assert sorted(r.act for r in acts) == ["payment", "service_received"]


async def test_REC_4_contract_copies_by_customer_and_age(world: Any) -> None:
    adult, teen, child = (
        await world.register(),
        await world.register(birth=world.years_ago(16)),
        await world.register(birth=world.years_ago(10)),
    )
    cases = [(adult, None, 2), (teen, adult, 3), (child, adult, 2)]
    for patient, customer, copies in cases:
        body = {"customer_id": customer["id"]} if customer else {}
        r = await world.svc.client.post(
            f"/v1/patients/{patient['id']}/contracts", json=body, headers=world.registrar
        )
        assert r.status_code == 201, r.text
        assert r.json()["copies"] == copies


# REC-8 -------------------------------------------------------------------------------------------


async def test_REC_8_amendments_keep_the_history_and_the_database_refuses_rewrites(world: Any) -> None:
    p = await world.register()
    await world.book(p["id"])
    first = (await diagnosis(world, p["id"])).json()
    amended = await world.svc.client.post(
        f"/v1/patients/{p['id']}/entries/{first['id']}/amendments",
        json={"text": "Острый бронхит", "icd10": "J20.9", "reason": "уточнён диагноз"},
        headers=world.doctor(),
    )
    assert amended.status_code == 201, amended.text
    history = await world.svc.client.get(
        f"/v1/patients/{p['id']}/entries/{first['id']}", headers=world.doctor()
    )
    assert [(e["icd10"], e["current"], e["amends_id"]) for e in history.json()] == [
        ("J06.9", False, None),
        ("J20.9", True, first["id"]),
    ]
    for statement in (
        "UPDATE card_entries SET text = 'x'",
        "DELETE FROM card_entries",
        "UPDATE audit_events SET purpose = 'x'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "DELETE FROM consents",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with world.svc.state.db.engine.begin() as conn:
                await conn.execute(text(statement))
    assert len(await world.sql("SELECT id FROM card_entries")) == 2


async def test_REC_8_diagnosis_needs_a_valid_icd10_code(world: Any) -> None:
    p = await world.register()
    await world.book(p["id"])
    for code in ("J06.99", "j06.9", "ABC"):
        r = await diagnosis(world, p["id"], icd10=code)
        assert (r.status_code, r.json()["code"], r.json()["rule"]) == (422, "invalid_icd10", "REC-8")


# REC-9, REC-10 -----------------------------------------------------------------------------------


async def test_REC_9_intervention_needs_informed_consent_or_a_logged_legal_ground(world: Any) -> None:
    p = await world.register()
    await world.book(p["id"])
    put = await world.svc.client.put(
        f"/v1/organizations/{world.ORG}/consent-required-interventions",
        json=[{"code": "endoscopy", "name": "Эндоскопия"}],
        headers=world.token("director"),
    )
    assert put.status_code == 200, put.text
    start = {
        "kind": "intervention",
        "text": "Начата эндоскопия",
        "intervention": {"category": "other", "code": "endoscopy"},
    }
    refused = await world.svc.client.post(
        f"/v1/patients/{p['id']}/entries", json=start, headers=world.doctor()
    )
    assert (refused.status_code, refused.json()["code"], refused.json()["rule"]) == (
        409,
        "informed_consent_required",
        "REC-9",
    )
    consent = await world.svc.client.post(
        f"/v1/patients/{p['id']}/consents",
        json={"kind": "intervention", "intervention_code": "endoscopy", "signed_by": p["id"]},
        headers=world.doctor(),
    )
    assert consent.status_code == 201, consent.text
    assert (
        await world.svc.client.post(f"/v1/patients/{p['id']}/entries", json=start, headers=world.doctor())
    ).status_code == 201
    # Care the law allows without consent: a stated ground, listed for review.
    q = await world.register()
    await world.book(q["id"])
    grounded = {
        **start,
        "intervention": {
            "category": "injection",
            "code": "adrenaline",
            "legal_ground": "O 5.2.11: anaphylaxis",
        },
    }
    assert (
        await world.svc.client.post(f"/v1/patients/{q['id']}/entries", json=grounded, headers=world.doctor())
    ).status_code == 201
    reviews = await world.svc.client.get(
        f"/v1/reviews?organization_id={world.ORG}", headers=world.token("privacy_officer")
    )
    assert [i["kind"] for i in reviews.json()["items"]] == ["intervention_without_consent"]


async def test_REC_10_refusal_needs_both_signatures_and_blocks_the_intervention(world: Any) -> None:
    p = await world.register()
    await world.book(p["id"])
    body = {
        "intervention_code": "biopsy-1",
        "consequences_explained": "Риск позднего диагноза",
        "signed_by": p["id"],
        "worker_signed": False,
    }
    unsigned = await world.svc.client.post(
        f"/v1/patients/{p['id']}/refusals", json=body, headers=world.doctor()
    )
    assert (unsigned.status_code, unsigned.json()["code"]) == (422, "refusal_signatures_required")
    signed = await world.svc.client.post(
        f"/v1/patients/{p['id']}/refusals", json={**body, "worker_signed": True}, headers=world.doctor()
    )
    assert signed.status_code == 201, signed.text
    assert signed.json()["worker_staff_id"] == str(world.DOCTOR)
    start = {
        "kind": "intervention",
        "text": "Биопсия",
        "intervention": {"category": "biopsy", "code": "biopsy-1"},
    }
    r = await world.svc.client.post(f"/v1/patients/{p['id']}/entries", json=start, headers=world.doctor())
    assert (r.status_code, r.json()["code"]) == (409, "intervention_refused")


# REC-11, REC-12, REC-15 ----------------------------------------------------------------------------


async def test_REC_11_referral_issued_then_used_by_the_booking_that_names_it(world: Any) -> None:
    p = await world.register()
    await world.book(p["id"])
    r = await world.svc.client.post(
        f"/v1/patients/{p['id']}/referrals", json={"service_code": "ecg"}, headers=world.doctor()
    )
    assert r.status_code == 201, r.text
    referral = r.json()
    assert "clinic.records.referral.issued" in await outbox_types(world)
    booked = await world.book(p["id"], referral_id=uuid.UUID(referral["id"]))
    await world.book(p["id"], referral_id=uuid.UUID(referral["id"]))  # a second booking: the first keeps it
    rows = await world.sql("SELECT status, used_by_appointment_id FROM referrals")
    assert [(r.status, r.used_by_appointment_id) for r in rows] == [("used", booked)]
    assert (await outbox_types(world)).count("clinic.records.referral.used") == 1


async def test_REC_12_health_group_change_is_announced(world: Any) -> None:
    p = await world.register()
    await world.book(p["id"])
    r = await world.svc.client.post(
        f"/v1/patients/{p['id']}/health-group", json={"health_group": "2B"}, headers=world.doctor()
    )
    assert r.status_code == 201, r.text
    assert r.json()["data"]["billing_surcharge_group"] is True
    assert "clinic.records.health_group.changed" in await outbox_types(world)
    again = await world.svc.client.post(
        f"/v1/patients/{p['id']}/health-group", json={"health_group": "2B"}, headers=world.doctor()
    )
    assert (again.status_code, again.json()["code"]) == (409, "health_group_unchanged")


async def test_REC_15_flags_police_report_listed_infection_referred(world: Any) -> None:
    p = await world.register()
    await world.book(p["id"])
    police = await world.svc.client.post(
        f"/v1/patients/{p['id']}/flags",
        json={"kind": "police_report", "text": "Следы побоев"},
        headers=world.doctor(),
    )
    assert police.status_code == 201, police.text
    infection = await world.svc.client.post(
        f"/v1/patients/{p['id']}/flags",
        json={"kind": "infectious_disease", "text": "Подозрение на корь", "icd10": "B05.9"},
        headers=world.doctor(),
    )
    assert infection.status_code == 201, infection.text
    assert infection.json()["referral"]["facility"]
    reviews = await world.svc.client.get(
        f"/v1/reviews?organization_id={world.ORG}", headers=world.token("privacy_officer")
    )
    assert [i["kind"] for i in reviews.json()["items"]] == ["police_report"]


# REC-16, REC-17, REC-18 ----------------------------------------------------------------------------


async def test_REC_17_medical_document_request_by_email_is_refused(world: Any) -> None:
    p = await world.register()
    r = await world.svc.client.post(
        "/v1/document-requests",
        json={"patient_id": p["id"], "kind": "extract", "delivery": "email"},
        headers=world.registrar,
    )
    assert r.status_code == 422
    assert (r.json()["code"], r.json()["rule"]) == ("email_channel_forbidden", "REC-17")


async def test_REC_16_document_due_in_working_days_and_handed_over_only_on_a_document(world: Any) -> None:
    p = await world.register()
    proxy = await world.register()
    link = await world.svc.client.post(
        f"/v1/patients/{p['id']}/trusted-persons",
        json={
            "person_id": proxy["id"],
            "relation": "power_of_attorney",
            "document": {"kind": "power_of_attorney", "number": "77"},
            "allows": {"health_information": False, "documents": True, "sign_consent": False},
        },
        headers=world.registrar,
    )
    assert link.status_code == 201, link.text
    r = await world.svc.client.post(
        "/v1/document-requests",
        json={"patient_id": p["id"], "kind": "extract", "delivery": "in_person"},
        headers=world.registrar,
    )
    assert r.status_code == 201, r.text
    assert r.json()["due_on"] == "2026-12-10"  # Thu 3 Dec + 5 working days
    rid = r.json()["id"]
    wrong = await world.svc.client.post(
        f"/v1/document-requests/{rid}/hand-over",
        json={"person_id": proxy["id"], "document": proxy["identity_document"]},
        headers=world.registrar,
    )
    assert (wrong.status_code, wrong.json()["code"], wrong.json()["rule"]) == (
        403,
        "authority_not_shown",
        "REC-16",
    )
    ok = await world.svc.client.post(
        f"/v1/document-requests/{rid}/hand-over",
        json={"person_id": proxy["id"], "document": {"kind": "power_of_attorney", "number": "77"}},
        headers=world.registrar,
    )
    assert (ok.status_code, ok.json()["status"]) == (200, "handed_over")


async def test_REC_18_results_published_to_the_cabinet_or_told_by_another_channel(world: Any) -> None:
    open_p = await world.register()
    closed = await world.register(cabinet=False)
    for p in (open_p, closed):
        await world.book(p["id"])
    results = {}
    for p in (open_p, closed):
        r = await world.svc.client.post(
            f"/v1/patients/{p['id']}/results",
            json={"kind": "laboratory", "title": "ОАК", "text": "Гемоглобин 130 г/л"},
            headers=world.doctor(),
        )
        assert r.status_code == 201, r.text
        results[p["id"]] = r.json()
    assert results[open_p["id"]]["notified_via"] == "cabinet"
    assert results[open_p["id"]]["notified_at"] is not None
    assert (results[closed["id"]]["notified_via"], results[closed["id"]]["notified_at"]) == (
        "other_channel",
        None,
    )
    sms = await world.sql(
        "SELECT d.channel, x.payload->>'text' AS text FROM notification_deliveries d "
        "JOIN notifications n ON n.id = d.notification_id "
        "JOIN deliveries x ON x.id = d.delivery_id WHERE n.patient_id = :p",
        p=closed["id"],
    )
    assert [s.channel for s in sms] == ["sms"]
    assert "Гемоглобин" not in sms[0].text  # REC-17: nothing medical by SMS
    assert "clinic.records.results.published" in await outbox_types(world)


# REC-19 ------------------------------------------------------------------------------------------


async def test_REC_19_patient_changes_phone_but_not_name_without_a_written_application(world: Any) -> None:
    p = await world.register()
    me = world.person(p["id"])
    ok = await world.svc.client.patch(
        f"/v1/patients/{p['id']}", json={"phone": "+7 702 000 00 00"}, headers=me
    )
    assert (ok.status_code, ok.json()["phone"]) == (200, "+77020000000")
    refused = await world.svc.client.patch(
        f"/v1/patients/{p['id']}", json={"last_name": "Иванова"}, headers=me
    )
    assert (refused.status_code, refused.json()["code"], refused.json()["rule"]) == (
        403,
        "written_application_required",
        "REC-19",
    )
    registry = await world.svc.client.patch(
        f"/v1/patients/{p['id']}",
        json={"last_name": "Иванова", "written_application_ref": "ЗП-17"},
        headers=world.registrar,
    )
    assert registry.status_code == 200, registry.text
    assert (await outbox_types(world)).count("clinic.records.patient.updated") == 2
    stale = await world.svc.client.patch(
        f"/v1/patients/{p['id']}", json={"email": "a@b.kz"}, headers={**me, "If-Match": '"1"'}
    )
    assert stale.status_code == 412


async def test_REC_19_cabinet_granted_in_person_on_the_identity_document_then_restricted(world: Any) -> None:
    p = await world.register(cabinet=False)
    me = world.person(p["id"])
    before = await world.svc.client.get(f"/v1/patients/{p['id']}", headers=me)
    assert (before.status_code, before.json()["code"]) == (403, "cabinet_access_required")
    wrong = await world.svc.client.post(
        f"/v1/patients/{p['id']}/cabinet-access",
        json={"identity_document": {"kind": "passport", "number": "N1"}},
        headers=world.registrar,
    )
    assert (wrong.status_code, wrong.json()["code"]) == (403, "identity_document_mismatch")
    remote = await world.svc.client.post(
        f"/v1/patients/{p['id']}/cabinet-access",
        json={"identity_document": p["identity_document"]},
        headers=world.token("admin"),
    )
    assert remote.status_code == 403  # never remotely, not even by an admin
    granted = await world.svc.client.post(
        f"/v1/patients/{p['id']}/cabinet-access",
        json={"identity_document": p["identity_document"]},
        headers=world.registrar,
    )
    assert granted.status_code == 201, granted.text
    assert (await world.svc.client.get(f"/v1/patients/{p['id']}", headers=me)).status_code == 200
    director = world.token("director")
    assert (
        await world.svc.client.post(
            f"/v1/patients/{p['id']}/cabinet-access/restriction", json={"reason": "P 10.7"}, headers=director
        )
    ).status_code == 200
    assert (await world.svc.client.get(f"/v1/patients/{p['id']}", headers=me)).status_code == 403
    assert (
        await world.svc.client.post(f"/v1/patients/{p['id']}/cabinet-access/restoration", headers=director)
    ).status_code == 200
    assert (await world.svc.client.get(f"/v1/patients/{p['id']}", headers=me)).status_code == 200
    events = [t for t in await outbox_types(world) if ".cabinet." in t]
    assert events == [
        "clinic.records.cabinet.access_granted",
        "clinic.records.cabinet.access_restricted",
        "clinic.records.cabinet.access_restored",
    ]
    seqs = await world.sql(
        "SELECT source_sequence, restricted FROM cabinet_access WHERE patient_id = :p", p=p["id"]
    )
    assert [(s.source_sequence, s.restricted) for s in seqs] == [(3, False)]


# REC-20, REC-21 ----------------------------------------------------------------------------------


async def test_REC_20_complaint_through_the_registry_answered_with_refund(world: Any) -> None:
    p = await world.register()
    by_patient = await world.svc.client.post(
        "/v1/complaints",
        json={"patient_id": p["id"], "kind": "complaint", "text": "Долго ждала"},
        headers=world.person(p["id"]),
    )
    assert (by_patient.status_code, by_patient.json()["code"]) == (403, "complaint_through_registry")
    filed = await world.svc.client.post(
        "/v1/complaints",
        json={"patient_id": p["id"], "kind": "complaint", "text": "Долго ждала", "answer_channel": "post"},
        headers=world.registrar,
    )
    assert filed.status_code == 201, filed.text
    # 20 KZ working days after Thu 3 Dec 2026: 16 Dec, 1 Jan and 4 Jan (observed) are off.
    assert filed.json()["due_on"] == "2027-01-05"
    feedback = await world.svc.client.post(
        "/v1/complaints",
        json={"patient_id": p["id"], "kind": "feedback", "text": "Спасибо"},
        headers=world.person(p["id"]),
    )
    assert (feedback.status_code, feedback.json()["due_on"]) == (201, "2026-12-25")
    invoice = uuid.uuid4()
    decided = await world.svc.client.post(
        f"/v1/complaints/{filed.json()['id']}/decision",
        json={
            "upheld": True,
            "answer": "Приносим извинения",
            "refund": {"amount": "1500", "currency": "KZT"},
            "invoice_id": str(invoice),
        },
        headers=world.token("director"),
    )
    assert decided.status_code == 200, decided.text
    rows = await world.sql(
        "SELECT envelope->'data' AS d FROM outbox WHERE type = 'clinic.records.complaint.decided'"
    )
    assert rows[0].d["refund_amount"] == "1500.00" and rows[0].d["invoice_id"] == str(invoice)
    kinds = [
        n["kind"]
        for n in (
            await world.svc.client.get(f"/v1/patients/{p['id']}/notifications", headers=world.person(p["id"]))
        ).json()["items"]
    ]
    assert "complaint_answered" in kinds


async def test_REC_20_overdue_complaints_are_listed(world: Any) -> None:
    p = await world.register()
    filed = await world.svc.client.post(
        "/v1/complaints",
        json={"patient_id": p["id"], "kind": "complaint", "text": "Жалоба"},
        headers=world.registrar,
    )
    assert filed.status_code == 201
    director = world.token("director")
    assert (
        await world.svc.client.get(
            f"/v1/complaints?organization_id={world.ORG}&overdue=true", headers=director
        )
    ).json()["items"] == []
    from clinic_common.clock import SharedOffsetClock

    SharedOffsetClock(world.stack.clock_file).set(world.NOW + timedelta(days=34))  # 6 Jan 2027, past 5 Jan
    late = (
        await world.svc.client.get(
            f"/v1/complaints?organization_id={world.ORG}&overdue=true", headers=director
        )
    ).json()["items"]
    assert [(c["id"], c["overdue"]) for c in late] == [(filed.json()["id"], True)]


# REC-22 ------------------------------------------------------------------------------------------


async def test_REC_22_no_shows_and_late_arrivals_recorded_and_contract_ended_after_two_failures(
    world: Any,
) -> None:
    p = await world.register()
    noshow, late = uuid.uuid4(), uuid.uuid4()
    for _ in range(2):  # redelivered: still one violation
        await teach(world.svc, AppointmentNoshow(**visit(world, p["id"], noshow)), aggregate_id=noshow)
    await teach(
        world.svc,
        AppointmentArrived(**visit(world, p["id"], late), arrived_at=world.NOW, lateness_minutes=12),
        aggregate_id=late,
    )
    staff = world.token("registrar")
    kinds = [
        v["kind"]
        for v in (await world.svc.client.get(f"/v1/patients/{p['id']}/violations", headers=staff)).json()[
            "items"
        ]
    ]
    assert sorted(kinds) == ["late_arrival", "no_show"]
    director = world.token("director")
    end = {"reason": "O 8.6", "threatens_life_or_health": False}
    early = await world.svc.client.post(f"/v1/patients/{p['id']}/service-refusal", json=end, headers=director)
    assert (early.status_code, early.json()["code"], early.json()["rule"]) == (
        409,
        "termination_not_allowed",
        "REC-22",
    )
    for _ in range(2):
        r = await world.svc.client.post(
            f"/v1/patients/{p['id']}/violations",
            json={"kind": "medical_advice_not_followed", "note": "не принимал"},
            headers=world.doctor(),
        )
        assert r.status_code == 201, r.text
    endangering = await world.svc.client.post(
        f"/v1/patients/{p['id']}/service-refusal",
        json={**end, "threatens_life_or_health": True},
        headers=director,
    )
    assert (endangering.status_code, endangering.json()["code"]) == (422, "service_refusal_forbidden")
    ended = await world.svc.client.post(f"/v1/patients/{p['id']}/service-refusal", json=end, headers=director)
    assert ended.status_code == 201, ended.text
    assert ended.json()["emergency_care_refused"] is False
    assert "clinic.records.patient.service_refused" in await outbox_types(world)


async def test_REC_8_home_visit_is_an_encounter_and_puts_the_home_doctor_in_care(world: Any) -> None:
    from datetime import date

    from clinic_common.events.payloads.home_visits import HomeVisitAssigned, HomeVisitCompleted

    p = await world.register()
    home_doctor = uuid.uuid4()
    hv = uuid.uuid4()
    common = dict(
        home_visit_id=hv,
        organization_id=world.ORG,
        patient_id=uuid.UUID(p["id"]),
        branch_id=world.BRANCH,
        kind="planned",
        scheduled_for=date(2026, 12, 3),
    )
    headers = world.token("home_doctor", staff_id=home_doctor)
    before = await world.svc.client.get(f"/v1/patients/{p['id']}/entries", headers=headers)
    assert (before.status_code, before.json()["code"]) == (403, "not_in_care")
    await teach(
        world.svc, HomeVisitAssigned(**common, practitioner_id=home_doctor, route_position=1), aggregate_id=hv
    )
    for sequence in (2, 3):  # a redelivery writes nothing twice
        await teach(
            world.svc,
            HomeVisitCompleted(**common, practitioner_id=home_doctor),
            aggregate_id=hv,
            sequence=sequence,
        )
    card = await world.svc.client.get(f"/v1/patients/{p['id']}/entries", headers=headers)
    assert card.status_code == 200, card.text
    assert [(e["kind"], e["author_staff_id"]) for e in card.json()["items"]] == [
        ("encounter", str(home_doctor))
    ]
    created = await world.sql(
        "SELECT action FROM audit_events WHERE patient_id = :p AND action = 'create'", p=p["id"]
    )
    assert len(created) == 1


async def test_REC_16_a_conclusion_lists_the_examinations_and_treatment_done(world: Any) -> None:
    p = await world.register()
    await world.book(p["id"])
    post = world.svc.client.post
    exam = (
        await post(
            f"/v1/patients/{p['id']}/entries",
            json={"kind": "examination", "text": "ЭКГ: норма"},
            headers=world.doctor(),
        )
    ).json()
    fixed = await post(
        f"/v1/patients/{p['id']}/entries/{exam['id']}/amendments",
        json={"text": "ЭКГ: синусовый ритм", "reason": "уточнение"},
        headers=world.doctor(),
    )
    rx = (
        await post(
            f"/v1/patients/{p['id']}/entries",
            json={"kind": "prescription", "text": "Парацетамол"},
            headers=world.doctor(),
        )
    ).json()
    await diagnosis(world, p["id"])  # a diagnosis is neither an examination nor a treatment
    r = await post(
        f"/v1/patients/{p['id']}/entries",
        json={"kind": "conclusion", "text": "Здорова"},
        headers=world.doctor(),
    )
    assert r.status_code == 201, r.text
    listed = [(i["entry_id"], i["text"]) for i in r.json()["data"]["examinations_and_treatment"]]
    assert listed == [(fixed.json()["id"], "ЭКГ: синусовый ритм"), (rx["id"], "Парацетамол")]


async def test_REC_19_concurrent_grants_open_one_cabinet_and_announce_it_once(world: Any) -> None:
    import asyncio

    p = await world.register(cabinet=False)
    body = {"identity_document": p["identity_document"]}
    answers = await asyncio.gather(
        *[
            world.svc.client.post(
                f"/v1/patients/{p['id']}/cabinet-access", json=body, headers=world.registrar
            )
            for _ in range(5)
        ]
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409, 409], [a.text for a in answers]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"cabinet_unchanged"}
    assert (await outbox_types(world)).count("clinic.records.cabinet.access_granted") == 1


async def test_REC_3_concurrent_signatures_accept_the_version_once(world: Any) -> None:
    import asyncio

    from clinic_common.clock import SharedOffsetClock

    assert (await publish(world, "2026-12-10")).status_code == 201
    SharedOffsetClock(world.stack.clock_file).set(world.NOW + timedelta(days=7))
    p = await world.register()
    answers = await asyncio.gather(
        *[
            world.svc.client.post(f"/v1/patients/{p['id']}/offer-acceptances", headers=world.registrar)
            for _ in range(5)
        ]
    )
    assert all(a.status_code == 201 for a in answers), [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(await world.sql("SELECT id FROM offer_acceptances WHERE patient_id = :p", p=p["id"])) == 1


async def test_REC_18_a_result_promised_past_15_working_days_of_the_order_is_refused(world: Any) -> None:
    SharedOffsetClock(world.stack.clock_file).set(world.NOW)  # Thursday 3 December 2026, Almaty
    p = await world.register()
    await world.book(p["id"])

    async def publish(**dates: object) -> Any:
        body = {"kind": "laboratory", "title": "Посев", "text": "Роста нет", **dates}
        return await world.svc.client.post(
            f"/v1/patients/{p['id']}/results", json=body, headers=world.doctor()
        )

    # Ordered on the 3rd: 16 December (Independence Day) does not count, so the 15th working day
    # is Friday the 25th and Monday the 28th is the 16th.
    ok = await publish(ordered_on="2026-12-03", promised_on="2026-12-25")
    assert ok.status_code == 201, ok.text
    refused = await publish(ordered_on="2026-12-03", promised_on="2026-12-28")
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert (problem["code"], problem["rule"], problem["latest"]) == (
        "result_term_exceeded",
        "REC-18",
        "2026-12-25",
    )
    before = await publish(ordered_on="2026-12-03", promised_on="2026-12-02")
    assert (before.status_code, before.json()["code"]) == (422, "result_term_exceeded"), before.text
    # Without an order date there is nothing to measure the promise against.
    assert (await publish(promised_on="2026-12-28")).status_code == 201
    assert (await publish(ordered_on="2026-12-03")).status_code == 201
    rows = await world.sql(
        "SELECT ordered_on::text AS ordered, promised_on::text AS promised FROM results "
        "WHERE patient_id = :p",
        p=p["id"],
    )
    assert {(r.ordered, r.promised) for r in rows} == {
        ("2026-12-03", "2026-12-25"),
        (None, "2026-12-28"),
        ("2026-12-03", None),
    }
    entries = await world.sql("SELECT id FROM card_entries WHERE patient_id = :p", p=p["id"])
    assert len(entries) == 3  # the refused one wrote nothing

    for bad in ("2026-02-30", "03.12.2026", "2026-12-03T00:00:00Z", "", "3100-01-01", 20261203):
        r = await publish(ordered_on=bad, promised_on="2026-12-25")
        assert (r.status_code, r.json()["code"]) == (422, "validation_failed"), bad


async def test_REC_13_medical_messages_and_intervention_consents_are_for_those_who_read_the_card(
    world: Any,
) -> None:
    p = await world.register()
    await world.book(p["id"])
    r = await world.svc.client.post(
        f"/v1/patients/{p['id']}/results",
        json={"kind": "laboratory", "title": "ОАК", "text": "Гемоглобин 130 г/л"},
        headers=world.doctor(),
    )
    assert r.status_code == 201, r.text
    consent = await world.svc.client.post(
        f"/v1/patients/{p['id']}/consents",
        json={"kind": "intervention", "intervention_code": "biopsy-1", "signed_by": p["id"]},
        headers=world.doctor(),
    )
    assert consent.status_code == 201
    me = world.person(p["id"])
    own = (await world.svc.client.get(f"/v1/patients/{p['id']}/notifications", headers=me)).json()["items"]
    assert [n["body"] for n in own if n["kind"] == "results_published"] == ["Гемоглобин 130 г/л"]
    staff = (
        await world.svc.client.get(f"/v1/patients/{p['id']}/notifications", headers=world.registrar)
    ).json()["items"]
    assert [
        (n["body"], [d["channel"] for d in n["deliveries"]])
        for n in staff
        if n["kind"] == "results_published"
    ] == [(None, ["cabinet", "sms"])]

    def kinds(rows: list[dict[str, Any]]) -> list[str]:
        return sorted(c["kind"] for c in rows)

    seen_by_registry = (
        await world.svc.client.get(f"/v1/patients/{p['id']}/consents", headers=world.registrar)
    ).json()["items"]
    assert kinds(seen_by_registry) == ["personal_data"]
    seen_by_doctor = (
        await world.svc.client.get(f"/v1/patients/{p['id']}/consents", headers=world.doctor())
    ).json()["items"]
    assert kinds(seen_by_doctor) == ["intervention", "personal_data"]
    reads = await world.sql(
        "SELECT resource, purpose FROM audit_events WHERE patient_id = :p AND action = 'read' ORDER BY id",
        p=p["id"],
    )
    assert [(r.resource, r.purpose) for r in reads] == [("notification", "own"), ("consent", "care")]
    # While the doctor withholds health information, the patient's inbox hides the medical body too.
    w = await world.svc.client.post(
        f"/v1/patients/{p['id']}/withholdings", json={"reason": "O 6.2.15"}, headers=world.doctor()
    )
    assert w.status_code == 201
    hidden = (await world.svc.client.get(f"/v1/patients/{p['id']}/notifications", headers=me)).json()["items"]
    assert [n["body"] for n in hidden if n["kind"] == "results_published"] == [None]
    again = await world.svc.client.post(
        f"/v1/patients/{p['id']}/results",
        json={"kind": "instrumental", "title": "УЗИ печени", "text": "Очаговое образование"},
        headers=world.doctor(),
    )
    assert again.status_code == 201
    sent = await world.sql(
        "SELECT x.payload FROM deliveries x JOIN notification_deliveries d ON d.delivery_id = x.id "
        "JOIN notifications n ON n.id = d.notification_id WHERE n.cause = :c",
        c=f"result:{again.json()['id']}",
    )
    assert sent and all("УЗИ" not in s.payload["title"] and "Очаговое" not in s.payload["text"] for s in sent)


async def test_lists_page_with_cursors(world: Any) -> None:
    p = await world.register()
    for n in range(3):
        r = await world.svc.client.post(
            "/v1/complaints",
            json={"patient_id": p["id"], "kind": "feedback", "text": f"Отзыв {n}"},
            headers=world.registrar,
        )
        assert r.status_code == 201
    director = world.token("director")
    url = f"/v1/complaints?organization_id={world.ORG}&limit=2"
    first = (await world.svc.client.get(url, headers=director)).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = (await world.svc.client.get(url + f"&cursor={first['next_cursor']}", headers=director)).json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    assert not {c["id"] for c in first["items"]} & {c["id"] for c in second["items"]}
    bad = await world.svc.client.get(url + "&cursor=not-a-cursor", headers=director)
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_cursor")
