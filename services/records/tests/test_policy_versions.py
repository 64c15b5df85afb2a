"""ORG-3 in records: a policy version scheduling announced ahead of time takes effect on its (local)
date, though scheduling does not announce the organization again when it does."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from clinic_common.clock import SharedOffsetClock
from clinic_common.events.payloads.scheduling import PolicyVersionData
from clinic_testkit.stack import organization_event, teach

pytestmark = pytest.mark.integration

ALLOWS_ALL = {"health_information": True, "documents": True, "sign_consent": True}


async def announce(world: Any, *versions: tuple[date, dict[str, Any]]) -> None:
    """Scheduling's `organization.upserted` on the tests' clock (3 Dec): the earliest version is the
    one in force, the others are published ahead."""
    data = [PolicyVersionData(effective_from=day, policy=policy) for day, policy in versions]
    event = organization_event(world.ORG, "KZ").model_copy(
        update={"policy": data[0].policy, "policy_versions": data}
    )
    await teach(world.svc, event, aggregate_id=world.ORG, sequence=2)


async def sign(world: Any, patient: dict[str, Any], signer: dict[str, Any], to: dict[str, Any]) -> Any:
    return await world.svc.client.post(
        f"/v1/patients/{patient['id']}/consents",
        json={"kind": "disclosure", "signed_by": signer["id"], "to_person_id": to["id"]},
        headers=world.registrar,
    )


async def test_ORG_3_REC_7_a_consent_age_announced_ahead_applies_from_its_local_date(world: Any) -> None:
    # From Monday 7 December the organization's country moves personal consent to 16.
    await announce(world, (date(2026, 1, 1), {}), (date(2026, 12, 7), {"personal_consent_age": 16}))
    child = await world.register(birth=world.years_ago(15))
    parent = await world.register(birth=world.years_ago(45))
    r = await world.svc.client.post(
        f"/v1/patients/{child['id']}/representatives",
        json={
            "person_id": parent["id"],
            "relation": "parent",
            "document": {"kind": "birth_certificate", "number": "I-АЛ 123456"},
            "allows": ALLOWS_ALL,
        },
        headers=world.registrar,
    )
    assert r.status_code == 201, r.text

    # Thursday 3 December: at 15 the child signs personally, the parent cannot sign for them.
    assert (await sign(world, child, child, parent)).status_code == 201
    refused = await sign(world, child, parent, parent)
    assert (refused.status_code, refused.json()["code"]) == (403, "consent_signer_not_allowed")

    # 19:10 UTC on the 6th is 00:10 on the 7th in Almaty: the new age is in force there.
    SharedOffsetClock(world.stack.clock_file).set(datetime(2026, 12, 6, 19, 10, tzinfo=UTC))
    refused = await sign(world, child, child, parent)
    assert (refused.status_code, refused.json()["code"]) == (403, "consent_signer_not_allowed")
    assert (await sign(world, child, parent, parent)).status_code == 201


async def test_ORG_3_reminders_take_the_lead_times_in_force_on_the_visits_local_date(world: Any) -> None:
    # Published ahead: visits from 20 December are reminded 48 h and 1 h before.
    await announce(world, (date(2026, 1, 1), {}), (date(2026, 12, 20), {"reminder_lead_minutes": [60, 2880]}))
    patient = await world.register()
    before = datetime(2026, 12, 19, 18, 30, tzinfo=UTC)  # 23:30 on the 19th in Almaty
    after = datetime(2026, 12, 19, 19, 30, tzinfo=UTC)  # 00:30 on the 20th in Almaty
    leads = {}
    for start in (before, after):
        aid = await world.book(patient["id"], start=start)
        rows = await world.sql(
            "SELECT lead_minutes, due_at FROM reminders WHERE appointment_id = :a ORDER BY due_at", a=aid
        )
        leads[start] = [(r.lead_minutes, r.due_at) for r in rows]
    # Planned on 3 December, before the new version is in force: each visit by its own day.
    assert leads[before] == [(1440, before - timedelta(hours=24)), (120, before - timedelta(hours=2))]
    assert leads[after] == [(2880, after - timedelta(hours=48)), (60, after - timedelta(hours=1))]
