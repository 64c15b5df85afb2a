"""ORG-3 in records: a policy version scheduling announced ahead of time takes effect on its (local)
date, though scheduling does not announce the organization again when it does."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from clinic_common.clock import SharedOffsetClock
from clinic_common.events.payloads.scheduling import PolicyVersionData
from clinic_testkit.stack import organization_event, teach

from records.notification.reminders import run_once

pytestmark = pytest.mark.integration

ALLOWS_ALL = {"health_information": True, "documents": True, "sign_consent": True}


async def announce(world: Any, *versions: tuple[date, dict[str, Any]], sequence: int = 2) -> None:
    """Scheduling's `organization.upserted` on the tests' clock (3 Dec): the earliest version is the
    one in force, the others are published ahead."""
    data = [PolicyVersionData(effective_from=day, policy=policy) for day, policy in versions]
    event = organization_event(world.ORG, "KZ").model_copy(
        update={"policy": data[0].policy, "policy_versions": data}
    )
    await teach(world.svc, event, aggregate_id=world.ORG, sequence=sequence)


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


async def reminders_of(world: Any, aid: Any) -> list[tuple[Any, ...]]:
    rows = await world.sql(
        "SELECT id, lead_minutes, due_at, status FROM reminders WHERE appointment_id = :a "
        "ORDER BY due_at, lead_minutes",
        a=aid,
    )
    return [(r.id, r.lead_minutes, r.due_at, r.status) for r in rows]


def states(rows: list[tuple[Any, ...]]) -> list[tuple[int, str]]:
    return [(lead, status) for _, lead, _, status in rows]


async def test_ORG_3_a_version_published_after_booking_replans_the_pending_reminders_it_governs(
    world: Any,
) -> None:
    a = {"reminder_lead_minutes": [1440, 120]}
    b = {"reminder_lead_minutes": [2880, 60]}
    await announce(world, (date(2026, 1, 1), a))
    patient = await world.register()
    early = datetime(2026, 12, 9, 18, 30, tzinfo=UTC)  # 23:30 on the 9th in Almaty: before B
    sent = datetime(2026, 12, 9, 19, 30, tzinfo=UTC)  # 00:30 on the 10th in Almaty: under B
    far = datetime(2026, 12, 12, 5, 0, tzinfo=UTC)
    aids = {start: await world.book(patient["id"], start=start) for start in (early, sent, far)}
    far_a = await reminders_of(world, aids[far])
    assert states(far_a) == [(1440, "scheduled"), (120, "scheduled")]

    # 9 December: the 24-hour reminders of the two visits of that night go out under A.
    clock = SharedOffsetClock(world.stack.clock_file)
    clock.set(datetime(2026, 12, 9, 5, 1, tzinfo=UTC))
    assert await run_once(world.svc.state.db.sessionmaker, world.svc.state.clock) == 2
    early_a = await reminders_of(world, aids[early])
    assert states(early_a) == [(1440, "sent"), (120, "scheduled")]

    # Then B is published, in force from the 10th: the visits on its days take B's lead times.
    await announce(world, (date(2026, 1, 1), a), (date(2026, 12, 10), b), sequence=3)
    assert await reminders_of(world, aids[early]) == early_a  # A is still in force on the 9th
    assert states(await reminders_of(world, aids[sent])) == [
        (1440, "sent"),
        (120, "cancelled"),
        (60, "scheduled"),
    ]
    far_b = await reminders_of(world, aids[far])
    assert [(lead, due) for _, lead, due, status in far_b if status == "scheduled"] == [
        (2880, far - timedelta(hours=48)),
        (60, far - timedelta(hours=1)),
    ]
    assert sorted(states(far_b)) == [
        (60, "scheduled"),
        (120, "cancelled"),
        (1440, "cancelled"),
        (2880, "scheduled"),
    ]

    # The same versions announced again change nothing.
    await announce(world, (date(2026, 1, 1), a), (date(2026, 12, 10), b), sequence=4)
    assert await reminders_of(world, aids[far]) == far_b

    # B withdrawn: A's reminders come back as the same rows, never as second ones; sent stays sent.
    await announce(world, (date(2026, 1, 1), a), sequence=5)
    far_again = await reminders_of(world, aids[far])
    assert [(rid, lead, status) for rid, lead, _, status in far_again if status == "scheduled"] == [
        (rid, lead, "scheduled") for rid, lead, _, _ in far_a
    ]
    assert len(far_again) == 4
    assert states(await reminders_of(world, aids[sent])) == [
        (1440, "sent"),
        (120, "scheduled"),
        (60, "cancelled"),
    ]

    # Each reminder is delivered once: the two-hour ones of that night, then nothing more.
    clock.set(datetime(2026, 12, 9, 17, 31, tzinfo=UTC))
    assert await run_once(world.svc.state.db.sessionmaker, world.svc.state.clock) == 2
    assert await run_once(world.svc.state.db.sessionmaker, world.svc.state.clock) == 0
    sent_reminders = await world.sql(
        "SELECT data->>'appointment_id' AS a, data->>'lead_minutes' AS lead FROM notifications "
        "WHERE kind = 'visit_reminder' ORDER BY a, lead"
    )
    assert sorted((r.a, r.lead) for r in sent_reminders) == sorted(
        (str(aids[start]), lead) for start in (early, sent) for lead in ("1440", "120")
    )
