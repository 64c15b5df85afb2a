"""A home visit across the system, over real NATS JetStream and real PostgreSQL (HV-3, HV-4, HV-6,
HV-9, BIL-16): scheduling's demo organization, doctors and shifts, and a patient registered in
records reach home-visits as events; a call-centre request is dated by the cutoff and served by
the branch of its zone; dispatch assigns it to a home-care doctor on shift; force majeure moves it
to the next day and records tells the patient. Billing learns the distance bands from
`zone.upserted`. Every service lives on Wednesday 2026-11-25, 12:00 in Moscow (the shared clock)."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, select

from clinic_common.clock import write_offset
from clinic_common.demo import MOSCOW_BRANCH_ARBAT_ID, MOSCOW_BRANCH_IDS, ORG_MOSCOW_ID, practitioner_id
from clinic_testkit.stack import Stack, Svc, auth, eventually

pytestmark = pytest.mark.e2e

LIVES_AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # 12:00 in Moscow, before the 13:00 cutoff
ARBAT_HOME_DOCTORS = {str(practitioner_id(ORG_MOSCOW_ID, 1, n)) for n in (5, 6)}


async def seed(svc: Svc, module: str) -> None:
    async with svc.state.db.sessionmaker() as session, session.begin():
        await importlib.import_module(module).seed(session, svc.settings)


async def count(svc: Svc, model: Any, *where: Any) -> int:
    async with svc.state.db.sessionmaker() as session:
        return int(
            (await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one()
        )


async def test_HV_6_HV_9_home_visit_journey_across_services(stack: Stack, clock_file: Path) -> None:
    from billing.program.models import DistanceBandProjection
    from home_visits.patient.models import PatientProjection
    from home_visits.practitioner.models import PractitionerProjection, ShiftProjection

    write_offset(clock_file, (LIVES_AT - datetime.now(UTC)).total_seconds())
    services = {name: await stack.start(name) for name in ("scheduling", "records", "billing", "home-visits")}
    hv = services["home-visits"]
    await seed(services["scheduling"], "scheduling.demo")
    await seed(hv, "home_visits.demo")

    async def learned() -> bool:
        doctors = await count(hv, PractitionerProjection, PractitionerProjection.home_care.is_(True))
        wednesday = await count(
            hv,
            ShiftProjection,
            ShiftProjection.practitioner_id.in_([UUID(d) for d in ARBAT_HOME_DOCTORS]),
            ShiftProjection.weekday == 2,
        )
        return doctors == 4 and wednesday == 2  # both Arbat home-care doctors work on Wednesdays

    await eventually(learned, timeout=30)
    await eventually(
        lambda: count(
            services["billing"],
            DistanceBandProjection,
            DistanceBandProjection.organization_id == ORG_MOSCOW_ID,
        ),
        timeout=30,
    )

    registrar = auth(stack.token("registrar", org=str(ORG_MOSCOW_ID)))
    r = await services["records"].client.post(
        "/v1/patients",
        json={
            "organization_id": str(ORG_MOSCOW_ID),
            "last_name": "Смирнова",
            "first_name": "Анна",
            "birth_date": "1984-03-02",
            "identity_document": {"kind": "passport", "number": "4510 123456"},
            "address": {"text": "Москва, Арбат 12", "lat": 55.7500, "lon": 37.5930},
            "phone": "+7 916 000 11 22",
            "personal_data_consent": True,
        },
        headers=registrar,
    )
    assert r.status_code == 201, r.text
    patient_id = r.json()["id"]

    async def patient_known() -> bool:
        return await count(hv, PatientProjection, PatientProjection.id == patient_id) == 1

    await eventually(patient_known, timeout=30)

    call_center = auth(stack.token("call_center", org=str(ORG_MOSCOW_ID)))
    r = await hv.client.post(
        "/v1/home-visits",
        json={
            "patient_id": patient_id,
            "address": {"text": "Москва, Арбат 12", "lat": 55.7500, "lon": 37.5930},
            "kind": "planned",
            "indications": {"temperature_above_38": True},
        },
        headers={**call_center, "Idempotency-Key": "journey-1"},
    )
    assert r.status_code == 201, r.text
    visit = r.json()
    assert (visit["scheduled_for"], visit["branch_id"]) == ("2026-11-25", str(MOSCOW_BRANCH_ARBAT_ID))
    assert visit["branch_id"] in {str(b) for b in MOSCOW_BRANCH_IDS}

    dispatcher = auth(stack.token("dispatcher", org=str(ORG_MOSCOW_ID)))
    r = await hv.client.post(
        "/v1/dispatch/plans",
        json={"branch_id": str(MOSCOW_BRANCH_ARBAT_ID), "date": "2026-11-25"},
        headers=dispatcher,
    )
    assert r.status_code == 200, r.text
    [stop_doctor] = [route["practitioner_id"] for route in r.json()["routes"] if route["stops"]]
    assert stop_doctor in ARBAT_HOME_DOCTORS

    r = await hv.client.post(
        f"/v1/home-visits/{visit['id']}/postpone", json={"reason": "snowstorm"}, headers=dispatcher
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "postponed"

    async def told() -> list[dict[str, Any]]:
        answer = await services["records"].client.get(
            f"/v1/patients/{patient_id}/notifications", headers=registrar
        )
        body = answer.json() if answer.status_code == 200 else []
        items = body["items"] if isinstance(body, dict) else body  # a page or a plain list
        return [n for n in items if n.get("kind") == "home_visit_postponed"]

    notices = await eventually(told, timeout=30)
    assert len(notices) == 1
