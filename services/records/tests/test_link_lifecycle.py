"""Ending what REC-5 starts: revoking a representative's or trusted person's link, lifting a
withholding (O 6.2.15), through the real HTTP API on real PostgreSQL.

Expected answers come from domain-rules.md and api.md: a link allows receiving health
information, receiving documents and signing consent (REC-5), so once it ends the person does
none of them, and the patient is to them as if they did not exist (404); the audit trail of
medical reads is kept (REC-13); a state conflict is 409, an object the caller may not see 404.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.integration

ALLOWS_ALL = {"health_information": True, "documents": True, "sign_consent": True}
BIRTH_CERTIFICATE = {"kind": "birth_certificate", "number": "I-АЛ 123456"}


async def add_link(
    world: Any, patient_id: str, person_id: str, path: str = "representatives", **over: Any
) -> dict[str, Any]:
    body = {
        "person_id": person_id,
        "relation": "parent" if path == "representatives" else "spouse",
        "document": BIRTH_CERTIFICATE,
        "allows": ALLOWS_ALL,
        **over,
    }
    r = await world.svc.client.post(f"/v1/patients/{patient_id}/{path}", json=body, headers=world.registrar)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def revoke(
    world: Any, patient_id: str, link_id: str, body: dict[str, Any] | None = None, **kw: Any
) -> Any:
    return await world.svc.client.post(
        f"/v1/patients/{patient_id}/links/{link_id}/revoke",
        json=body if body is not None else {"reason": "authority_ended"},
        headers=kw.get("headers", world.registrar),
    )


async def sign_consent(world: Any, patient_id: str, signer: str) -> Any:
    return await world.svc.client.post(
        f"/v1/patients/{patient_id}/consents",
        json={"kind": "intervention", "intervention_code": "biopsy-1", "signed_by": signer},
        headers=world.registrar,
    )


async def hand_over_to(world: Any, patient_id: str, person_id: str) -> Any:
    r = await world.svc.client.post(
        "/v1/document-requests",
        json={"patient_id": patient_id, "kind": "extract", "delivery": "in_person"},
        headers=world.registrar,
    )
    assert r.status_code == 201, r.text
    return await world.svc.client.post(
        f"/v1/document-requests/{r.json()['id']}/hand-over",
        json={"person_id": person_id, "document": BIRTH_CERTIFICATE},
        headers=world.registrar,
    )


async def test_REC_5_revoked_representative_no_longer_reads_signs_or_takes_documents(world: Any) -> None:
    child = await world.register(birth=world.years_ago(10))
    parent = await world.register(birth=world.years_ago(40))
    link = await add_link(world, child["id"], parent["id"])
    await world.book(child["id"])
    entry = await world.write_entry(child["id"])
    as_parent = world.person(parent["id"])

    # Before: the link allows all three (REC-5), and the read is audited (REC-13).
    before = await world.read_card(child["id"], as_parent)
    assert before.status_code == 200, before.text
    assert [e["id"] for e in before.json()["items"]] == [entry]
    assert (await sign_consent(world, child["id"], parent["id"])).status_code == 201
    handed = await hand_over_to(world, child["id"], parent["id"])
    assert (handed.status_code, handed.json()["status"]) == (200, "handed_over")

    r = await revoke(world, child["id"], link["id"], {"reason": "authority_ended", "note": "Court order 12"})
    assert r.status_code == 200, r.text
    revoked = r.json()
    assert revoked["id"] == link["id"]
    assert (revoked["revocation_reason"], revoked["revocation_note"]) == ("authority_ended", "Court order 12")
    assert revoked["revoked_at"] is not None

    # After: the patient is to them as if unknown (api.md: 404), they sign nothing, take nothing.
    after = await world.read_card(child["id"], as_parent)
    assert (after.status_code, after.json()["code"]) == (404, "patient_not_found")
    profile = await world.svc.client.get(f"/v1/patients/{child['id']}", headers=as_parent)
    assert (profile.status_code, profile.json()["code"]) == (404, "patient_not_found")
    signed = await sign_consent(world, child["id"], parent["id"])
    assert (signed.status_code, signed.json()["code"]) == (403, "consent_signer_not_allowed")
    taken = await hand_over_to(world, child["id"], parent["id"])
    assert (taken.status_code, taken.json()["code"], taken.json()["rule"]) == (
        403,
        "authority_not_shown",
        "REC-16",
    )

    # The audit trail keeps the parent's read from before; the refused read left no row.
    officer = world.token("privacy_officer")
    trail = await world.svc.client.get(f"/v1/audit?patient_id={child['id']}", headers=officer)
    assert trail.status_code == 200, trail.text
    reads = [
        (i["purpose"], i["actor_person_id"], i["entry_id"])
        for i in trail.json()["items"]
        if i["action"] == "read"
    ]
    assert reads == [("representative", parent["id"], entry)]

    # The link itself stays, with who ended it and why; the default list shows links in force only.
    listed = await world.svc.client.get(f"/v1/patients/{child['id']}/links", headers=world.registrar)
    assert listed.json()["items"] == []
    history = await world.svc.client.get(
        f"/v1/patients/{child['id']}/links?include_revoked=true", headers=world.registrar
    )
    assert history.status_code == 200, history.text
    assert [(i["id"], i["revocation_reason"]) for i in history.json()["items"]] == [
        (link["id"], "authority_ended")
    ]
    rows = await world.sql(
        "SELECT revoked_at, revoked_by, revocation_reason FROM person_links WHERE id = :i", i=link["id"]
    )
    assert (
        rows[0].revoked_at is not None
        and rows[0].revoked_by
        and rows[0].revocation_reason == "authority_ended"
    )

    # REC-5: ending twice conflicts with a stable code; the person may be linked anew.
    again = await revoke(world, child["id"], link["id"])
    assert (again.status_code, again.json()["code"], again.json()["rule"]) == (
        409,
        "link_already_revoked",
        "REC-5",
    )
    renewed = await add_link(
        world, child["id"], parent["id"], document={"kind": "guardianship", "number": "7"}
    )
    assert renewed["id"] != link["id"]


async def test_REC_5_revoked_trusted_person_no_longer_reads_the_card(world: Any) -> None:
    patient = await world.register()
    spouse = await world.register()
    link = await add_link(world, patient["id"], spouse["id"], "trusted-persons")
    await world.book(patient["id"])
    await world.write_entry(patient["id"])
    assert (await world.read_card(patient["id"], world.person(spouse["id"]))).status_code == 200

    r = await revoke(world, patient["id"], link["id"], {"reason": "patient_application"})
    assert r.status_code == 200, r.text
    after = await world.read_card(patient["id"], world.person(spouse["id"]))
    assert (after.status_code, after.json()["code"]) == (404, "patient_not_found")
    # The patient still sees the ended link in their own history.
    own = await world.svc.client.get(
        f"/v1/patients/{patient['id']}/links?include_revoked=true", headers=world.person(patient["id"])
    )
    assert [(i["kind"], i["revocation_reason"]) for i in own.json()["items"]] == [
        ("trusted_person", "patient_application")
    ]


async def test_REC_5_revoking_an_unknown_or_another_patients_link_is_404(world: Any) -> None:
    a = await world.register()
    b = await world.register()
    person = await world.register()
    link = await add_link(world, a["id"], person["id"], "trusted-persons")

    elsewhere = await revoke(world, b["id"], link["id"])
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (404, "link_not_found")
    unknown = await revoke(world, a["id"], str(uuid.uuid4()))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "link_not_found")
    no_patient = await revoke(world, str(uuid.uuid4()), link["id"])
    assert (no_patient.status_code, no_patient.json()["code"]) == (404, "patient_not_found")
    foreign = await revoke(world, a["id"], link["id"], headers=world.token("registrar", org=world.OTHER_ORG))
    assert (foreign.status_code, foreign.json()["code"]) == (404, "patient_not_found")
    doctor = await revoke(world, a["id"], link["id"], headers=world.doctor())
    assert (doctor.status_code, doctor.json()["code"]) == (403, "forbidden_role")
    for bad in ({"reason": "bored"}, {}, {"reason": "error", "note": ""}, {"reason": "error", "x": 1}):
        refused = await revoke(world, a["id"], link["id"], bad)
        assert (refused.status_code, refused.json()["code"]) == (422, "validation_failed"), bad
    # None of that ended the link.
    listed = await world.svc.client.get(f"/v1/patients/{a['id']}/links", headers=world.registrar)
    assert [i["id"] for i in listed.json()["items"]] == [link["id"]]


async def withhold(world: Any, patient_id: str) -> str:
    r = await world.svc.client.post(
        f"/v1/patients/{patient_id}/withholdings",
        json={"reason": "Severe prognosis; the patient's state calls for it"},
        headers=world.doctor(),
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def lift(world: Any, patient_id: str, withholding_id: str, body: Any = None, **kw: Any) -> Any:
    return await world.svc.client.post(
        f"/v1/patients/{patient_id}/withholdings/{withholding_id}/lift",
        json=body if body is not None else {"reason": "The patient's state improved"},
        headers=kw.get("headers", world.doctor()),
    )


async def test_REC_5_lifted_withholding_lets_the_patient_read_again(world: Any) -> None:
    patient = await world.register()
    await world.book(patient["id"])
    entry = await world.write_entry(patient["id"])
    me = world.person(patient["id"])
    wid = await withhold(world, patient["id"])
    withheld = await world.read_card(patient["id"], me)
    assert (withheld.status_code, withheld.json()["code"], withheld.json()["rule"]) == (
        403,
        "health_information_withheld",
        "REC-5",
    )

    r = await lift(world, patient["id"], wid)
    assert r.status_code == 200, r.text
    assert (r.json()["id"], r.json()["lift_reason"]) == (wid, "The patient's state improved")
    assert r.json()["lifted_at"] is not None

    own = await world.read_card(patient["id"], me)
    assert own.status_code == 200, own.text
    assert [e["id"] for e in own.json()["items"]] == [entry]
    rows = await world.sql(
        "SELECT lifted_at, lifted_by, lift_reason, reason FROM withholdings WHERE id = :i", i=wid
    )
    assert rows[0].lifted_at is not None and rows[0].lifted_by
    assert (rows[0].lift_reason, rows[0].reason) == (
        "The patient's state improved",
        "Severe prognosis; the patient's state calls for it",
    )

    again = await lift(world, patient["id"], wid)
    assert (again.status_code, again.json()["code"], again.json()["rule"]) == (
        409,
        "withholding_already_lifted",
        "REC-5",
    )


async def test_REC_5_lifting_needs_the_attending_doctor_a_reason_and_a_known_withholding(world: Any) -> None:
    patient = await world.register()
    other = await world.register()
    await world.book(patient["id"])
    await world.book(other["id"])
    wid = await withhold(world, patient["id"])

    for bad in ({"reason": ""}, {"reason": "   "}, {}):
        refused = await lift(world, patient["id"], wid, bad)
        assert (refused.status_code, refused.json()["code"]) == (422, "validation_failed"), bad
    unknown = await lift(world, patient["id"], str(uuid.uuid4()))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "withholding_not_found")
    elsewhere = await lift(world, other["id"], wid)
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (404, "withholding_not_found")
    outsider = await lift(world, patient["id"], wid, headers=world.doctor(staff=world.OTHER_DOCTOR))
    assert (outsider.status_code, outsider.json()["code"]) == (403, "not_in_care")
    registrar = await lift(world, patient["id"], wid, headers=world.registrar)
    assert (registrar.status_code, registrar.json()["code"]) == (403, "forbidden_role")
    # Still withheld after all of that.
    still = await world.read_card(patient["id"], world.person(patient["id"]))
    assert still.json()["code"] == "health_information_withheld"
