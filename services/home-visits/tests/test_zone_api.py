"""The zone API and the projections against a real migrated database (HV-4, BIL-15, BIL-16)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import func, select

from clinic_common.clock import FixedClock
from clinic_common.db import Database
from clinic_common.demo import (
    MOSCOW_BRANCH_ARBAT_ID,
    MOSCOW_BRANCH_MARYINO_ID,
    ORG_ALMATY_ID,
    ORG_MOSCOW_ID,
)
from clinic_common.events.catalog import EventPayload, type_of
from clinic_common.events.consumer import EventProcessor
from clinic_common.events.envelope import EventEnvelope, new_event_id
from clinic_common.events.payloads.records import PatientRegistered
from clinic_common.events.payloads.scheduling import (
    BranchData,
    OrganizationUpserted,
    PractitionerUpserted,
    ShiftUpserted,
)

from home_visits.config import Settings
from home_visits.db import platform
from home_visits.demo import seed
from home_visits.main import create_app
from home_visits.organization.models import BranchProjection, OrganizationProjection
from home_visits.patient.models import PatientProjection
from home_visits.practitioner.models import PractitionerProjection, ShiftProjection

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ROLES_ALLOWED = ["dispatcher", "registrar", "call_center", "director", "admin", "home_doctor"]


def envelope(payload: EventPayload, subject: UUID, sequence: int, org: UUID | None = None) -> EventEnvelope:
    type_ = type_of(type(payload))
    return EventEnvelope(
        id=new_event_id(),
        type=type_,
        source=type_.split(".")[1],
        subject=str(subject),
        time=NOW,
        orgid=org,
        sequence=sequence,
        data=payload.model_dump(mode="json"),
    )


def moscow(branches: list[tuple[UUID, str]], name: str = "Moscow polyclinics") -> OrganizationUpserted:
    return OrganizationUpserted(
        id=ORG_MOSCOW_ID,
        name=name,
        country="RU",
        currency="RUB",
        time_zone="Europe/Moscow",
        branches=[
            BranchData(
                id=b, name=n, address=n, time_zone="Europe/Moscow", lat=55.75, lon=37.6, opening_hours=[]
            )
            for b, n in branches
        ],
    )


class Stack:
    def __init__(
        self, client: httpx.AsyncClient, db: Database, processor: EventProcessor, tokens: Any
    ) -> None:
        self.client = client
        self.db = db
        self.processor = processor
        self.tokens = tokens

    def auth(self, role: str, org: UUID | None = ORG_MOSCOW_ID) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens(role, org=str(org) if org else None)}"}

    async def count(self, model: Any) -> int:
        async with self.db.sessionmaker() as s:
            return int((await s.execute(select(func.count()).select_from(model))).scalar_one())


@pytest.fixture
async def stack(
    database_factory: Callable[[str], str], dev_keys: tuple[Path, Path], token_factory: Any
) -> AsyncIterator[Stack]:
    url = database_factory("home-visits")
    settings = Settings(
        database_url=url,
        run_workers=False,
        jwt_public_key_file=dev_keys[1],
        nats_url="nats://127.0.0.1:1",  # never reached: no relay or consumers run here
    )
    db = Database(url, pool_size=2)
    try:
        for _ in range(2):  # the seed loads again safely
            async with db.sessionmaker() as session, session.begin():
                await seed(session, settings)
        app = create_app(settings, clock=FixedClock(NOW))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://hv") as client:
                st = Stack(client, db, app.state.event_processor, token_factory)
                await st.processor.process(
                    envelope(
                        moscow([(MOSCOW_BRANCH_ARBAT_ID, "Arbat"), (MOSCOW_BRANCH_MARYINO_ID, "Maryino")]),
                        ORG_MOSCOW_ID,
                        1,
                    )
                )
                yield st
    finally:
        await db.dispose()


async def test_seed_twice_announces_each_zone_once(stack: Stack) -> None:
    async with stack.db.sessionmaker() as s:
        rows = (await s.execute(select(platform.outbox.c.type, platform.outbox.c.sequence))).all()
    assert len(rows) == 6
    assert {r.type for r in rows} == {"clinic.home_visits.zone.upserted"}
    assert {r.sequence for r in rows} == {1}


async def test_zones_listed_base_first_then_branch_order(stack: Stack) -> None:
    r = await stack.client.get(
        "/v1/zones", params={"organization_id": str(ORG_MOSCOW_ID)}, headers=stack.auth("dispatcher")
    )
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [(z["kind"], z["order"]) for z in items] == [("base", 0), ("branch", 1), ("branch", 2)]
    assert items[1]["branch_id"] == str(MOSCOW_BRANCH_ARBAT_ID)
    assert items[0]["polygon"][0] == items[0]["polygon"][-1]
    assert r.json()["next_cursor"] is None


@pytest.mark.parametrize("role", ROLES_ALLOWED)
async def test_zone_routes_roles_allowed(stack: Stack, role: str) -> None:
    r = await stack.client.post(
        "/v1/zone-checks",
        json={"organization_id": str(ORG_MOSCOW_ID), "lat": 55.752, "lon": 37.593},
        headers=stack.auth(role),
    )
    assert r.status_code == 200, r.text


async def test_zone_routes_refuse_others(stack: Stack) -> None:
    params = {"organization_id": str(ORG_MOSCOW_ID)}
    assert (await stack.client.get("/v1/zones", params=params)).status_code == 401
    assert (
        await stack.client.get("/v1/zones", params=params, headers=stack.auth("patient"))
    ).status_code == 403
    other_org = await stack.client.get(
        "/v1/zones", params=params, headers=stack.auth("dispatcher", ORG_ALMATY_ID)
    )
    assert other_org.status_code == 403
    assert other_org.json()["code"] == "organization_forbidden"


async def test_unknown_organization_is_422_unknown(stack: Stack) -> None:
    # Almaty has zones from the seed but scheduling has not announced it here yet.
    r = await stack.client.post(
        "/v1/zone-checks",
        json={"organization_id": str(ORG_ALMATY_ID), "lat": 43.233, "lon": 76.957},
        headers=stack.auth("admin", None),
    )
    assert r.status_code == 422
    assert r.json()["code"] == "organization_unknown"


async def test_HV_4_zone_check_inside_mkad(stack: Stack) -> None:
    r = await stack.client.post(
        "/v1/zone-checks",
        json={"organization_id": str(ORG_MOSCOW_ID), "lat": 55.65, "lon": 37.744},
        headers=stack.auth("call_center"),
    )
    body = r.json()
    assert r.status_code == 200, body
    assert body["branch_id"] == str(MOSCOW_BRANCH_MARYINO_ID)
    assert body["zone_id"] is not None
    assert (body["inside_base_zone"], body["distance_km"], body["band"], body["served"]) == (
        True,
        0.0,
        None,
        True,
    )


async def test_BIL_16_zone_check_outlying_address(stack: Stack) -> None:
    r = await stack.client.post(
        "/v1/zone-checks",
        json={"organization_id": str(ORG_MOSCOW_ID), "lat": 55.4312, "lon": 37.5447},  # Podolsk
        headers=stack.auth("registrar"),
    )
    body = r.json()
    assert r.status_code == 200, body
    assert body["branch_id"] == str(MOSCOW_BRANCH_ARBAT_ID)
    assert body["zone_id"] is None
    assert body["inside_base_zone"] is False
    assert 15 < body["distance_km"] <= 30
    assert body["band"] == {"upper_km": 30.0, "surcharge_percent": 30}
    assert body["served"] is True


async def test_HV_4_zone_check_beyond_last_band_is_refused(stack: Stack) -> None:
    r = await stack.client.post(
        "/v1/zone-checks",
        json={"organization_id": str(ORG_MOSCOW_ID), "lat": 56.8587, "lon": 35.9176},  # Tver
        headers=stack.auth("dispatcher"),
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert (body["code"], body["rule"]) == ("address_outside_service_zones", "HV-4")
    assert body["distance_km"] > 50


@pytest.mark.parametrize(
    "payload",
    [
        {"lat": 91, "lon": 37.5},
        {"lat": 55.7, "lon": 181},
        {"lat": "north", "lon": 37.5},
        {"lat": 55.7},
        {"lat": 55.7, "lon": 37.5, "extra": 1},
    ],
)
async def test_zone_check_payload_validation(stack: Stack, payload: dict[str, Any]) -> None:
    r = await stack.client.post(
        "/v1/zone-checks",
        json={"organization_id": str(ORG_MOSCOW_ID), **payload},
        headers=stack.auth("dispatcher"),
    )
    assert r.status_code == 422
    assert r.json()["code"] == "validation_failed"


async def test_organization_projection_keeps_branches_and_ignores_stale_versions(stack: Stack) -> None:
    await stack.processor.process(
        envelope(moscow([(MOSCOW_BRANCH_ARBAT_ID, "Arbat")], "Renamed"), ORG_MOSCOW_ID, 3)
    )
    stale = moscow([(MOSCOW_BRANCH_ARBAT_ID, "Old")], "Old name")
    await stack.processor.process(envelope(stale, ORG_MOSCOW_ID, 2))
    async with stack.db.sessionmaker() as s:
        org = await s.get(OrganizationProjection, ORG_MOSCOW_ID)
        arbat = await s.get(BranchProjection, MOSCOW_BRANCH_ARBAT_ID)
        maryino = await s.get(BranchProjection, MOSCOW_BRANCH_MARYINO_ID)
    assert org is not None and org.name == "Renamed" and org.source_sequence == 3
    assert arbat is not None and arbat.active and arbat.name == "Arbat" and arbat.lat == 55.75
    assert maryino is not None and not maryino.active  # dropped from scheduling's list


async def test_practitioner_shift_and_patient_projections(stack: Stack) -> None:
    doctor = uuid4()
    await stack.processor.process(
        envelope(
            PractitionerUpserted(
                id=doctor,
                organization_id=ORG_MOSCOW_ID,
                branch_ids=[MOSCOW_BRANCH_ARBAT_ID],
                full_name="Dr Home",
                specialty="therapist",
                qualification="first",
                experience_years=10,
                home_care=True,
            ),
            doctor,
            1,
        )
    )
    shift = uuid4()
    await stack.processor.process(
        envelope(
            ShiftUpserted(
                id=shift,
                organization_id=ORG_MOSCOW_ID,
                practitioner_id=doctor,
                branch_id=MOSCOW_BRANCH_ARBAT_ID,
                weekday=0,
                starts=time(8),
                ends=time(20),
                valid_from=date(2026, 1, 1),
            ),
            shift,
            1,
        )
    )
    patient = uuid4()
    await stack.processor.process(
        envelope(
            PatientRegistered(
                patient_id=patient,
                organization_id=ORG_MOSCOW_ID,
                last_name="Ivanova",
                first_name="Anna",
                birth_date=date(1990, 5, 1),
                phone="+7 900 000-00-00",
                address_text="Arbat 1",
                lat=55.75,
                lon=37.59,
            ),
            patient,
            1,
        )
    )
    async with stack.db.sessionmaker() as s:
        p = await s.get(PractitionerProjection, doctor)
        sh = await s.get(ShiftProjection, shift)
        pt = await s.get(PatientProjection, patient)
    assert p is not None and p.home_care and p.branch_ids == [MOSCOW_BRANCH_ARBAT_ID]
    assert sh is not None and sh.starts == time(8) and sh.valid_to is None
    assert pt is not None and pt.address_text == "Arbat 1" and pt.lat == 55.75
