"""Records' demo data loads on a fresh database, loads again without change, and lets a person try
the journeys (the card read by the therapist in care, the parent refused for a 16-year-old)."""

from __future__ import annotations

from typing import Any

import pytest

from clinic_common.demo import ORG_ALMATY_ID, ORG_MOSCOW_ID
from clinic_testkit.stack import auth, organization_event, teach

from records.demo import DEMO, THERAPIST, seed

pytestmark = pytest.mark.integration


async def test_demo_seed_loads_twice_and_the_journeys_work(world: Any) -> None:
    svc = world.svc
    for org in (ORG_ALMATY_ID, ORG_MOSCOW_ID):
        await teach(svc, organization_event(org, "KZ" if org == ORG_ALMATY_ID else "RU"), aggregate_id=org)
    for _ in range(2):
        async with svc.state.db.sessionmaker() as session, session.begin():
            await seed(session, svc.settings)
    counts = await world.sql(
        "SELECT (SELECT count(*) FROM patients) AS p, (SELECT count(*) FROM outbox) AS o, "
        "(SELECT count(*) FROM card_entries) AS e, (SELECT count(*) FROM person_links) AS l"
    )
    assert tuple(counts[0]) == (5, 9, 1, 2)  # 5 registrations + 4 cabinets announced, once
    doctor = auth(world.stack.token("doctor", org=str(ORG_ALMATY_ID), staff_id=str(THERAPIST)))
    card = await svc.client.get(f"/v1/patients/{DEMO['aigerim']}/entries", headers=doctor)
    assert card.status_code == 200, card.text
    assert [e["icd10"] for e in card.json()["items"]] == ["J06.9"]
    father = auth(world.stack.token("patient", org=str(ORG_ALMATY_ID), patient_id=str(DEMO["nurlan"])))
    refused = await svc.client.get(f"/v1/patients/{DEMO['dana']}/entries", headers=father)
    assert refused.json()["code"] == "disclosure_consent_required"
