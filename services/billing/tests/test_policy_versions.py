"""ORG-3 in billing: a policy version scheduling announced ahead of time takes effect on its (local)
date, though scheduling does not announce the organization again when it does."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest

from clinic_common.demo import ORG_ALMATY_ID
from clinic_common.events.payloads.scheduling import PolicyVersionData

from billing.sweep import run_once

if TYPE_CHECKING:
    from conftest import BillingHarness

pytestmark = pytest.mark.integration

# In force when scheduling announced the organization (the harness clock: Sunday 2026-11-22).
V1: dict[str, Any] = {"payment_timing": "before_service", "extra_services_payment_minutes": 30}
# Published ahead: from Wednesday 2026-11-25 (Almaty) an hour to pay and a 0.5 % daily penalty.
V2: dict[str, Any] = {
    "payment_timing": "before_service",
    "extra_services_payment_minutes": 60,
    "late_payment_penalty_percent_per_day": "0.5",
}
VERSIONS = [
    PolicyVersionData(effective_from=date(2026, 1, 1), policy=V1),
    PolicyVersionData(effective_from=date(2026, 11, 25), policy=V2),
]


async def ready(billing: BillingHarness) -> UUID:
    await billing.seed()
    await billing.learn_organization(ORG_ALMATY_ID, policy=V1, versions=VERSIONS)
    return await billing.learn_patient(ORG_ALMATY_ID)


async def add_ecg(billing: BillingHarness, invoice_id: UUID) -> dict[str, Any]:
    r = await billing.client.post(
        f"/v1/invoices/{invoice_id}/items",
        json={"items": [{"service_code": "ecg"}]},
        headers=billing.token("nurse"),
    )
    assert r.status_code == 200, r.text
    item: dict[str, Any] = next(i for i in r.json()["items"] if i["service_code"] == "ecg")
    return item


async def test_ORG_3_BIL_4_the_payment_term_announced_ahead_applies_from_its_local_date(
    billing: BillingHarness,
) -> None:
    patient = await ready(billing)
    today = await billing.estimate_of(await billing.book(ORG_ALMATY_ID, patient))
    assert (await add_ecg(billing, today))["due_at"].startswith("2026-11-22T14:30:00")  # V1: 30 minutes
    # 19:10 UTC on the 24th is already 00:10 on the 25th in Almaty: V2's first day there.
    billing.clock.set(datetime(2026, 11, 24, 19, 10, tzinfo=UTC))
    later = await billing.estimate_of(await billing.book(ORG_ALMATY_ID, patient))
    assert (await add_ecg(billing, later))["due_at"].startswith("2026-11-25T01:10:00")  # V2: an hour


async def test_ORG_3_BIL_10_a_penalty_announced_ahead_accrues_from_its_date_only(
    billing: BillingHarness,
) -> None:
    patient = await ready(billing)
    invoice_id = await billing.estimate_of(await billing.book(ORG_ALMATY_ID, patient))
    await add_ecg(billing, invoice_id)  # due 14:30 Almaty on the 22nd under V1 (no penalty)
    # Five full days overdue, begun on the 22nd, 23rd, 24th (V1: none), 25th and 26th (V2: 0.5 %).
    billing.clock.advance(timedelta(days=5, minutes=31))
    await run_once(billing.app.state.db.sessionmaker, billing.clock)
    await run_once(billing.app.state.db.sessionmaker, billing.clock)
    r = await billing.client.get(f"/v1/invoices/{invoice_id}", headers=billing.token("cashier"))
    assert r.status_code == 200, r.text
    penalty = [i for i in r.json()["items"] if i["service_code"] == "late_payment_penalty"]
    assert [p["amount"]["amount"] for p in penalty] == ["170.00"]  # 2 days x 0.5 % of 17 000
