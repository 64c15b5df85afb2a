"""The access matrix of the medical card (REC-13, REC-14, REC-5, REC-7), every allowed read audited.

Expected answers come from domain-rules.md: health data is read by the staff in the patient's care,
the patient, and the persons the patient allowed (REC-13); from 15 a parent reads only with the
patient's consent (REC-7); a trusted person as the link allows (REC-5); break-glass with a reason,
listed for review (REC-14); another organization's staff never (api.md: 404).
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration

ALLOWS_ALL = {"health_information": True, "documents": True, "sign_consent": True}


async def audit_rows(world: Any, patient_id: str, subject_like: str = "%") -> list[Any]:
    rows: list[Any] = await world.sql(
        "SELECT actor_subject, purpose, entry_id, action FROM audit_events "
        "WHERE patient_id = :p AND action = 'read' AND actor_subject LIKE :s ORDER BY id",
        p=patient_id,
        s=subject_like,
    )
    return rows


async def link(world: Any, patient_id: str, person_id: str, path: str, allows: dict[str, bool]) -> None:
    r = await world.svc.client.post(
        f"/v1/patients/{patient_id}/{path}",
        json={
            "person_id": person_id,
            "relation": "parent" if path == "representatives" else "relative",
            "document": {"kind": "birth_certificate", "number": "I-АЛ 123456"},
            "allows": allows,
        },
        headers=world.registrar,
    )
    assert r.status_code == 201, r.text


async def test_REC_13_access_matrix_every_allowed_read_is_audited(world: Any) -> None:
    a = await world.register()
    b = await world.register()
    await world.book(a["id"])  # the doctor takes part in A's care
    entry = await world.write_entry(a["id"])
    reads = 0

    # The doctor in A's care reads A's card: allowed, audited with purpose "care".
    r = await world.read_card(a["id"], world.doctor())
    assert r.status_code == 200, r.text
    assert [e["id"] for e in r.json()["items"]] == [entry]
    reads += 1

    # Patient A reads their own card.
    own = await world.read_card(a["id"], world.person(a["id"]))
    assert own.status_code == 200
    reads += 1

    # REC-13: patient A cannot read patient B (404: B is not theirs to know of).
    other = await world.read_card(b["id"], world.person(a["id"]))
    assert (other.status_code, other.json()["code"]) == (404, "patient_not_found")

    # Staff of another organization cannot read (404), even a doctor with the same staff id.
    foreign = await world.read_card(a["id"], world.doctor(org=world.OTHER_ORG))
    assert (foreign.status_code, foreign.json()["code"]) == (404, "patient_not_found")

    # A doctor of the organization outside A's care cannot read (REC-13) ...
    outsider = world.doctor(staff=world.OTHER_DOCTOR)
    denied = await world.read_card(a["id"], outsider)
    assert (denied.status_code, denied.json()["code"], denied.json()["rule"]) == (
        403,
        "not_in_care",
        "REC-13",
    )

    # ... until they open break-glass with a reason (REC-14): then they read, and it is listed.
    glass = await world.svc.client.post(
        f"/v1/patients/{a['id']}/break-glass",
        json={"reason": "Unconscious patient brought in, allergies unknown"},
        headers=outsider,
    )
    assert glass.status_code == 201, glass.text
    assert (await world.read_card(a["id"], outsider)).status_code == 200
    reads += 1
    officer = world.token("privacy_officer")
    reviews = await world.svc.client.get(f"/v1/reviews?organization_id={world.ORG}", headers=officer)
    assert reviews.status_code == 200, reviews.text
    listed = [(i["kind"], i["ref_id"]) for i in reviews.json()["items"]]
    assert ("break_glass", glass.json()["id"]) in listed

    rows = await audit_rows(world, a["id"])
    assert len(rows) == reads  # every allowed read left a row, the refused ones none
    assert [row.purpose for row in rows] == ["care", "own", "break_glass"]
    assert all(row.entry_id is not None and str(row.entry_id) == entry for row in rows)
    assert await audit_rows(world, b["id"]) == []

    # The privacy officer reads the trail; nobody else may.
    trail = await world.svc.client.get(f"/v1/audit?patient_id={a['id']}", headers=officer)
    assert trail.status_code == 200, trail.text
    purposes = [i["purpose"] for i in trail.json()["items"] if i["action"] == "read"]
    assert purposes == ["care", "own", "break_glass"]
    refused = await world.svc.client.get(f"/v1/audit?patient_id={a['id']}", headers=world.doctor())
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden_role")


async def test_REC_7_parent_reads_a_16_year_olds_card_only_with_the_childs_consent(world: Any) -> None:
    child = await world.register(birth=world.years_ago(16))
    parent = await world.register(birth=world.years_ago(45))
    await link(world, child["id"], parent["id"], "representatives", ALLOWS_ALL)
    await world.book(child["id"])
    await world.write_entry(child["id"])

    refused = await world.read_card(child["id"], world.person(parent["id"]))
    assert refused.status_code == 403, refused.text
    assert (refused.json()["code"], refused.json()["rule"]) == ("disclosure_consent_required", "REC-7")

    # REC-7: the child consents personally; the parent cannot sign it for them.
    by_parent = await world.svc.client.post(
        f"/v1/patients/{child['id']}/consents",
        json={"kind": "disclosure", "signed_by": parent["id"], "to_person_id": parent["id"]},
        headers=world.registrar,
    )
    assert (by_parent.status_code, by_parent.json()["code"]) == (403, "consent_signer_not_allowed")
    given = await world.svc.client.post(
        f"/v1/patients/{child['id']}/consents",
        json={"kind": "disclosure", "signed_by": child["id"], "to_person_id": parent["id"]},
        headers=world.registrar,
    )
    assert given.status_code == 201, given.text

    allowed = await world.read_card(child["id"], world.person(parent["id"]))
    assert allowed.status_code == 200, allowed.text
    rows = await audit_rows(world, child["id"])
    assert [r.purpose for r in rows] == ["representative"]

    # Withdrawn (a new row, REC-2): refused again.
    withdrawn = await world.svc.client.post(
        f"/v1/patients/{child['id']}/consents",
        json={"kind": "disclosure", "given": False, "signed_by": child["id"], "to_person_id": parent["id"]},
        headers=world.registrar,
    )
    assert withdrawn.status_code == 201
    assert (await world.read_card(child["id"], world.person(parent["id"]))).status_code == 403


async def test_REC_7_parent_of_a_child_under_15_reads_without_consent(world: Any) -> None:
    child = await world.register(birth=world.years_ago(10))
    parent = await world.register(birth=world.years_ago(40))
    await link(world, child["id"], parent["id"], "representatives", ALLOWS_ALL)
    assert (await world.read_card(child["id"], world.person(parent["id"]))).status_code == 200
    assert [r.purpose for r in await audit_rows(world, child["id"])] == ["representative"]


async def test_REC_5_trusted_person_reads_only_what_the_link_allows(world: Any) -> None:
    patient = await world.register()
    documents_only = await world.register()
    informed = await world.register()
    await link(
        world,
        patient["id"],
        documents_only["id"],
        "trusted-persons",
        {"health_information": False, "documents": True, "sign_consent": False},
    )
    await link(
        world,
        patient["id"],
        informed["id"],
        "trusted-persons",
        {"health_information": True, "documents": False, "sign_consent": False},
    )
    await world.book(patient["id"])
    await world.write_entry(patient["id"])

    refused = await world.read_card(patient["id"], world.person(documents_only["id"]))
    assert (refused.status_code, refused.json()["code"], refused.json()["rule"]) == (
        403,
        "link_does_not_allow",
        "REC-5",
    )
    # Their link still lets them see who the patient is (to take documents, REC-16).
    assert (
        await world.svc.client.get(
            f"/v1/patients/{patient['id']}", headers=world.person(documents_only["id"])
        )
    ).status_code == 200

    assert (await world.read_card(patient["id"], world.person(informed["id"]))).status_code == 200
    rows = await audit_rows(world, patient["id"])
    assert [(r.purpose, r.actor_subject) for r in rows] == [("trusted_person", rows[0].actor_subject)]


async def test_REC_5_withheld_information_is_not_shown_to_the_patient(world: Any) -> None:
    patient = await world.register()
    spouse = await world.register()
    await link(
        world,
        patient["id"],
        spouse["id"],
        "trusted-persons",
        {"health_information": True, "documents": True, "sign_consent": False},
    )
    await world.book(patient["id"])
    r = await world.svc.client.post(
        f"/v1/patients/{patient['id']}/withholdings",
        json={"reason": "Severe prognosis; the patient's state calls for it", "disclosed_to": [spouse["id"]]},
        headers=world.doctor(),
    )
    assert r.status_code == 201, r.text
    own = await world.read_card(patient["id"], world.person(patient["id"]))
    assert (own.status_code, own.json()["code"]) == (403, "health_information_withheld")
    assert (await world.read_card(patient["id"], world.person(spouse["id"]))).status_code == 200


async def test_REC_14_break_glass_needs_a_reason_expires_and_is_reviewed(world: Any) -> None:
    from datetime import timedelta

    from clinic_common.clock import SharedOffsetClock

    patient = await world.register()
    await world.book(patient["id"])
    await world.write_entry(patient["id"])
    outsider = world.doctor(staff=world.OTHER_DOCTOR)
    no_reason = await world.svc.client.post(
        f"/v1/patients/{patient['id']}/break-glass", json={"reason": ""}, headers=outsider
    )
    assert (no_reason.status_code, no_reason.json()["code"]) == (422, "validation_failed")
    glass = await world.svc.client.post(
        f"/v1/patients/{patient['id']}/break-glass",
        json={"reason": "Patient unable to express their will (O 7.8)"},
        headers=outsider,
    )
    assert glass.status_code == 201, glass.text
    assert (await world.read_card(patient["id"], outsider)).status_code == 200
    rows = await audit_rows(world, patient["id"])
    assert [(r.purpose, str(r.entry_id) != "None") for r in rows] == [("break_glass", True)]

    # The emergency access lapses; then the outsider is refused again (a new reason is needed).
    SharedOffsetClock(world.stack.clock_file).set(world.NOW + timedelta(hours=5))
    assert (await world.read_card(patient["id"], outsider)).json()["code"] == "not_in_care"

    officer = world.token("privacy_officer")
    listed = (await world.svc.client.get(f"/v1/reviews?organization_id={world.ORG}", headers=officer)).json()[
        "items"
    ]
    assert [(i["kind"], i["reason"]) for i in listed] == [
        ("break_glass", "Patient unable to express their will (O 7.8)")
    ]
    closed = await world.svc.client.post(
        f"/v1/reviews/{listed[0]['id']}/close", json={"note": "Justified: emergency"}, headers=officer
    )
    assert closed.status_code == 200, closed.text
    assert (await world.svc.client.get(f"/v1/reviews?organization_id={world.ORG}", headers=officer)).json()[
        "items"
    ] == []
    again = await world.svc.client.post(
        f"/v1/reviews/{listed[0]['id']}/close", json={"note": "x"}, headers=officer
    )
    assert (again.status_code, again.json()["code"]) == (409, "already_reviewed")
