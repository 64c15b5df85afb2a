"""Patient-facing billing routes (REC-19 gate, object level): a patient token works only with an
open personal cabinet, and only for the patient's own balance and invoices; staff of another
organization see nothing; an insurer is not a reader of patients' money (architecture.md § Security)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from clinic_common.demo import ORG_ALMATY_ID, ORG_MOSCOW_ID
from clinic_common.events.payloads.records import CabinetAccessGranted

if TYPE_CHECKING:
    from conftest import BillingHarness

pytestmark = pytest.mark.integration


async def test_patient_sees_own_balance_and_invoices_only_with_an_open_cabinet(
    billing: BillingHarness,
) -> None:
    await billing.seed()
    await billing.learn_organization(ORG_ALMATY_ID)
    me, other = await billing.learn_patient(ORG_ALMATY_ID), await billing.learn_patient(ORG_ALMATY_ID)
    invoice_id = await billing.estimate_of(await billing.book(ORG_ALMATY_ID, me))
    mine = billing.token("patient", patient_id=str(me))
    r = await billing.client.get(f"/v1/patients/{me}/balance", headers=mine)
    assert (r.status_code, r.json()["code"]) == (403, "cabinet_access_required")  # REC-19
    await billing.deliver(
        CabinetAccessGranted(
            patient_id=me,
            organization_id=ORG_ALMATY_ID,
            granted=True,
            restricted=False,
            changed_at=datetime.now(UTC),
        ),
        subject=me,
    )
    r = await billing.client.get(f"/v1/patients/{me}/balance", headers=mine)
    assert r.status_code == 200 and r.json()["debt"]["amount"] == "12000.00"
    assert (await billing.client.get(f"/v1/patients/{other}/balance", headers=mine)).status_code == 404
    assert (await billing.client.get(f"/v1/invoices/{invoice_id}", headers=mine)).status_code == 200
    page = await billing.client.get("/v1/invoices", params={"patient_id": str(other)}, headers=mine)
    assert page.status_code == 200 and page.json()["items"] == []
    own = await billing.client.get("/v1/invoices", headers=mine)
    assert [i["id"] for i in own.json()["items"]] == [str(invoice_id)]
    moscow_registrar = billing.token("registrar", ORG_MOSCOW_ID)
    assert (
        await billing.client.get(f"/v1/invoices/{invoice_id}", headers=moscow_registrar)
    ).status_code == 404
    assert (
        await billing.client.get(f"/v1/patients/{me}/balance", headers=moscow_registrar)
    ).status_code == 404
    insurer = await billing.client.get(f"/v1/patients/{me}/balance", headers=billing.token("insurer"))
    assert (insurer.status_code, insurer.json()["code"]) == (403, "forbidden_role")
    pay = await billing.pay(invoice_id, "12000.00", org=ORG_MOSCOW_ID)  # a cashier of another organization
    assert (pay.status_code, pay.json()["code"]) == (404, "invoice_not_found")
