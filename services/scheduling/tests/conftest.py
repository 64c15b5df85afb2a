"""Fixtures shared by scheduling's API tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text

from clinic_common.calendar import Country, is_public_holiday
from clinic_common.clock import FixedClock
from clinic_common.demo import ORG_ALMATY_ID, ORG_MOSCOW_ID
from clinic_common.events.envelope import EventEnvelope
from clinic_common.events.payloads import records as records_events
from clinic_common.events.payloads.billing import ServiceUpserted
from clinic_common.events.payloads.records import PatientRegistered
from clinic_testkit.stack import Stack, Svc, auth, teach

from scheduling.config import Settings
from scheduling.demo import seed
from scheduling.main import create_app
from scheduling.practitioner.models import Shift

SEEDED_NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)  # a Sunday: 14:00 in Almaty, 12:00 in Moscow


@pytest.fixture
async def client(
    database_factory: Callable[[str], str], dev_keys: tuple[Path, Path]
) -> AsyncIterator[httpx.AsyncClient]:
    """Scheduling on a fresh database with the demo seed, its clock fixed at SEEDED_NOW."""
    settings = Settings(
        database_url=database_factory("scheduling"),
        nats_url="nats://127.0.0.1:1",  # never reached: workers are off
        run_workers=False,
        jwt_public_key_file=dev_keys[1],
        db_pool_size=2,
    )
    app: FastAPI = create_app(settings, clock=FixedClock(SEEDED_NOW))
    async with app.router.lifespan_context(app):
        async with app.state.db.sessionmaker() as session, session.begin():
            await seed(session, settings)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://scheduling") as c:
            yield c


# --- the world most API tests start from -----------------------------------------------------------


# Monday 23 November 2026, 08:00 UTC: 13:00 in Almaty, 11:00 in Moscow; no holiday that week.
WORLD_NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
ZONES = {ORG_ALMATY_ID: ZoneInfo("Asia/Almaty"), ORG_MOSCOW_ID: ZoneInfo("Europe/Moscow")}
COUNTRIES = {ORG_ALMATY_ID: Country.KZ, ORG_MOSCOW_ID: Country.RU}
# code, category, minutes, flags: what billing's catalogue announces (billing.demo's shapes)
SERVICES: tuple[tuple[str, str, int, dict[str, bool]], ...] = (
    ("therapist_first", "consultation", 30, {}),
    ("therapist_repeat", "consultation", 20, {}),
    ("cardiologist_first", "consultation", 40, {}),
    ("ecg", "instrumental", 20, {"requires_referral": True}),
    ("blood_sample", "sample_collection", 15, {"requires_referral": True}),
    ("checkup", "consultation", 30, {"preventive": True}),
)


class World:
    """Scheduling with the demo seed, billing's catalogue and a fixed business clock."""

    def __init__(self, svc: Svc, stack: Stack, clock: FixedClock) -> None:
        self.svc, self.stack, self.clock = svc, stack, clock
        self.client = svc.client

    async def teach(self, payload: Any, aggregate_id: Any, sequence: int = 1) -> None:
        await teach(self.svc, payload, aggregate_id=aggregate_id, sequence=sequence)

    async def patient(
        self, org: uuid.UUID = ORG_ALMATY_ID, *, birth_date: date = date(1990, 1, 1)
    ) -> uuid.UUID:
        """A patient registered by records, with an open personal cabinet (REC-19)."""
        patient_id = uuid.uuid4()
        await self.teach(
            PatientRegistered(
                patient_id=patient_id,
                organization_id=org,
                last_name="Testova",
                first_name="Patient",
                birth_date=birth_date,
                phone="+77010000000",
                address_text="Street 1",
            ),
            patient_id,
        )
        granted = getattr(records_events, "CabinetAccessGranted", None)
        if granted is not None:
            await self.teach(
                granted(
                    patient_id=patient_id,
                    organization_id=org,
                    granted=True,
                    restricted=False,
                    changed_at=self.clock.now(),
                ),
                patient_id,
                sequence=2,
            )
        return patient_id

    def staff(self, role: str = "registrar", org: uuid.UUID = ORG_ALMATY_ID, **claims: Any) -> dict[str, str]:
        return auth(self.stack.token(role, org=str(org), **claims))

    def as_patient(self, patient_id: uuid.UUID, org: uuid.UUID = ORG_ALMATY_ID) -> dict[str, str]:
        return auth(self.stack.token("patient", org=str(org), patient_id=str(patient_id)))

    def body(
        self, patient: uuid.UUID, practitioner: uuid.UUID, start: datetime, **over: Any
    ) -> dict[str, Any]:
        return {
            "patient_id": str(patient),
            "practitioner_id": str(practitioner),
            "service_code": "therapist_first",
            "start": start.isoformat(),
            "channel": "registry",
            **over,
        }

    async def book(
        self,
        patient: uuid.UUID,
        practitioner: uuid.UUID,
        start: datetime,
        *,
        org: uuid.UUID = ORG_ALMATY_ID,
        **over: Any,
    ) -> Any:
        return await self.client.post(
            "/v1/appointments",
            json=self.body(patient, practitioner, start, **over),
            headers=self.staff(org=org),
        )

    async def shifts(self, practitioner: uuid.UUID) -> list[Shift]:
        async with self.svc.state.db.sessionmaker() as session:
            stmt = select(Shift).where(Shift.practitioner_id == practitioner)
            return list((await session.execute(stmt)).scalars().all())

    async def shift_day(
        self, practitioner: uuid.UUID, org: uuid.UUID = ORG_ALMATY_ID, *, after_days: int = 1
    ) -> tuple[date, Shift]:
        """The practitioner's next non-holiday working date (from `after_days` after today) and its shift."""
        shifts = await self.shifts(practitioner)
        today = self.clock.now().astimezone(ZONES[org]).date()
        for offset in range(after_days, 400):
            day = today + timedelta(days=offset)
            if is_public_holiday(COUNTRIES[org], day):
                continue
            for shift in sorted(shifts, key=lambda s: s.starts):
                if shift.weekday == day.weekday():
                    return day, shift
        raise AssertionError("no working date")

    async def start(
        self,
        practitioner: uuid.UUID,
        org: uuid.UUID = ORG_ALMATY_ID,
        *,
        minutes: int = 0,
        after_days: int = 1,
    ) -> datetime:
        day, shift = await self.shift_day(practitioner, org, after_days=after_days)
        return datetime.combine(day, shift.starts, ZONES[org]) + timedelta(minutes=minutes)

    async def arrive_on_time(
        self, practitioner: uuid.UUID, org: uuid.UUID, count: int
    ) -> list[dict[str, Any]]:
        """`count` visits booked back to back from the practitioner's next shift start, all checked
        in 10 minutes before the first (on time, SCH-14); the check-in answers in booking order."""
        first = await self.start(practitioner, org)
        answers = []
        for n in range(count):
            start = first + timedelta(minutes=30 * n)
            r = await self.book(await self.patient(org), practitioner, start, org=org)
            assert r.status_code == 201, r.text
            self.clock.set(first.astimezone(UTC) - timedelta(minutes=10))
            checked = await self.client.post(
                f"/v1/appointments/{r.json()['id']}/check-in", json={}, headers=self.staff(org=org)
            )
            assert checked.status_code == 200, checked.text
            answers.append(dict(checked.json()))
        return answers

    async def events(self, type_suffix: str) -> list[EventEnvelope]:
        async with self.svc.state.db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    text("SELECT envelope FROM outbox WHERE type = :t ORDER BY position"),
                    {"t": f"clinic.scheduling.{type_suffix}"},
                )
            ).all()
        return [EventEnvelope.model_validate(r.envelope) for r in rows]


@pytest.fixture
async def world(stack: Stack, request: pytest.FixtureRequest) -> World:
    """Scheduling on the demo seed with billing's catalogue taught, its clock at WORLD_NOW (or
    the instant the test passes as this fixture's parameter)."""
    clock = FixedClock(getattr(request, "param", WORLD_NOW))
    svc = await stack.start("scheduling", run_workers=False, clock=clock)
    async with svc.state.db.sessionmaker() as session, session.begin():
        await seed(session, svc.settings)
    w = World(svc, stack, clock)
    for org in (ORG_ALMATY_ID, ORG_MOSCOW_ID):
        for code, category, minutes, flags in SERVICES:
            service_id = uuid.uuid5(org, code)
            await w.teach(
                ServiceUpserted(
                    id=service_id,
                    organization_id=org,
                    code=code,
                    name=code,
                    duration_minutes=minutes,
                    category=category,
                    **flags,
                ),
                service_id,
            )
    return w


@pytest.fixture
def world_of(stack: Stack) -> Callable[[Svc, FixedClock], World]:
    """A `World` around a scheduling the test started itself (other settings, workers on)."""
    return lambda svc, clock: World(svc, stack, clock)
