"""REC-19 end to end: a patient token without an open cabinet is refused by each of the four
services, over the real relay, NATS JetStream and consumers.

Records grants the cabinet in person at the registry and announces it (`cabinet.access_granted`);
scheduling, billing and home-visits mirror it; a restriction by the organization closes it again
everywhere. Expected answers from architecture.md § Security ("a patient token works for the
personal cabinet only after the registry has granted cabinet access in person") and api.md
(403 for a caller not allowed; past the gate, the object level answers as usual).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from clinic_testkit.stack import Stack, Svc, auth, eventually, organization_event, teach

pytestmark = pytest.mark.e2e

ORG = uuid.UUID("0a000000-0000-4000-8000-0000000000ce")


def iin_for_1990_05_17() -> str:
    first = "900517" + "4" + "0007"
    digits = [int(c) for c in first]
    check = sum(d * w for d, w in zip(digits, range(1, 12), strict=True)) % 11
    if check == 10:
        check = sum(d * w for d, w in zip(digits, [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2], strict=True)) % 11
    assert check != 10
    return first + str(check)


async def answers(
    services: dict[str, Svc], token: dict[str, str], patient_id: str
) -> dict[str, tuple[int, str]]:
    """One patient-scope request per service; the code of the answer (or `ok`)."""
    requests = {
        "records": f"/v1/patients/{patient_id}",
        "scheduling": f"/v1/appointments/{uuid.uuid4()}",
        "billing": f"/v1/patients/{patient_id}/balance",
        "home-visits": f"/v1/home-visits/{uuid.uuid4()}",
    }
    out = {}
    for name, path in requests.items():
        r = await services[name].client.get(path, headers=token)
        out[name] = (r.status_code, r.json().get("code", "ok") if r.status_code >= 400 else "ok")
    return out


async def test_REC_19_patient_token_without_an_open_cabinet_is_refused_by_every_service(stack: Stack) -> None:
    services = {name: await stack.start(name) for name in ("records", "scheduling", "billing", "home-visits")}
    for svc in services.values():
        await teach(svc, organization_event(ORG, "KZ"), aggregate_id=ORG)
    registrar = auth(stack.token("registrar", org=str(ORG)))
    r = await services["records"].client.post(
        "/v1/patients",
        json={
            "organization_id": str(ORG),
            "last_name": "Абаева",
            "first_name": "Дана",
            "birth_date": "1990-05-17",
            "sex": "female",
            "iin": iin_for_1990_05_17(),
            "identity_document": {"kind": "id_card", "number": "045123456"},
            "address": {"text": "Алматы, пр. Достык 10"},
            "phone": "+7 701 123 45 67",
            "personal_data_consent": True,
        },
        headers=registrar,
    )
    assert r.status_code == 201, r.text
    patient = r.json()
    token = auth(stack.token("patient", org=str(ORG), patient_id=patient["id"]))
    closed = (403, "cabinet_access_required")

    assert await answers(services, token, patient["id"]) == {name: closed for name in services}

    granted = await services["records"].client.post(
        f"/v1/patients/{patient['id']}/cabinet-access",
        json={"identity_document": patient["identity_document"]},
        headers=registrar,
    )
    assert granted.status_code == 201, granted.text

    async def all_open() -> dict[str, tuple[int, str]] | None:
        seen = await answers(services, token, patient["id"])
        return seen if closed not in seen.values() else None

    opened: Any = await eventually(all_open, timeout=30)
    assert opened["records"] == (200, "ok")
    assert opened["scheduling"] == (404, "appointment_not_found")  # past the gate: the object level
    assert opened["home-visits"][0] == 404

    restricted = await services["records"].client.post(
        f"/v1/patients/{patient['id']}/cabinet-access/restriction",
        json={"reason": "P 10.7"},
        headers=auth(stack.token("director", org=str(ORG))),
    )
    assert restricted.status_code == 200, restricted.text

    async def all_closed() -> bool:
        return await answers(services, token, patient["id"]) == {name: closed for name in services}

    await eventually(all_closed, timeout=30)
