"""A home-visits service on a real migrated database, taught the Moscow organization, its home-care
doctors and shifts, two patients and their programs, as the consumers would from the events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select

from clinic_common.clock import FixedClock
from clinic_common.demo import MOSCOW_BRANCH_ARBAT_ID, MOSCOW_BRANCH_MARYINO_ID, ORG_MOSCOW_ID, demo_id
from clinic_common.events.envelope import EventEnvelope
from clinic_common.events.payloads.billing import EnrollmentCreated
from clinic_testkit import moscow
from clinic_testkit.stack import Stack, Svc, auth, open_cabinet

from home_visits.demo import seed

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # Wednesday, 12:00 in Moscow: before the 13:00 cutoff
DOCTOR_1 = demo_id("test", "home-doctor", 1)
DOCTOR_2 = demo_id("test", "home-doctor", 2)
CLINIC_DOCTOR = demo_id("test", "clinic-doctor", 1)
PATIENT_URGENT = demo_id("test", "patient", "urgent-program")
PATIENT_PLANNED = demo_id("test", "patient", "planned-program")
PATIENT_NONE = demo_id("test", "patient", "no-program")
ENROLLMENT_URGENT = demo_id("test", "enrollment", "urgent")
ENROLLMENT_PLANNED = demo_id("test", "enrollment", "planned")


def enrollment(eid: UUID, pid: UUID, urgent: bool) -> EnrollmentCreated:
    return EnrollmentCreated(
        enrollment_id=eid,
        program_id=demo_id("test", "program", urgent),
        patient_id=pid,
        organization_id=ORG_MOSCOW_ID,
        starts_on=date(2026, 1, 1),
        ends_on=date(2027, 6, 30),
        urgent_home_care=urgent,
    )


class Ids:
    """The fixture's fixed ids (tests reach them through `hv.ids`: conftest is not importable)."""

    org = ORG_MOSCOW_ID
    arbat = MOSCOW_BRANCH_ARBAT_ID
    maryino = MOSCOW_BRANCH_MARYINO_ID
    doctor_1 = DOCTOR_1
    doctor_2 = DOCTOR_2
    clinic_doctor = CLINIC_DOCTOR
    patient_urgent = PATIENT_URGENT
    patient_planned = PATIENT_PLANNED
    patient_none = PATIENT_NONE
    enrollment_urgent = ENROLLMENT_URGENT
    enrollment_planned = ENROLLMENT_PLANNED


@dataclass
class HV:
    svc: Svc
    clock: FixedClock
    stack: Stack
    ids: type[Ids] = Ids
    now: datetime = NOW

    @staticmethod
    def body(
        patient_id: UUID = PATIENT_URGENT,
        *,
        kind: str = "planned",
        lat: float = 55.7600,
        lon: float = 37.6000,
        enrollment_id: UUID | None = ENROLLMENT_URGENT,
        fever: bool = True,
    ) -> dict[str, Any]:
        return visit_body(patient_id, kind=kind, lat=lat, lon=lon, enrollment_id=enrollment_id, fever=fever)

    @property
    def client(self) -> httpx.AsyncClient:
        return self.svc.client

    def headers(self, role: str, **claims: Any) -> dict[str, str]:
        return auth(self.stack.token(role, org=str(ORG_MOSCOW_ID), **claims))

    def doctor(self, practitioner_id: UUID) -> dict[str, str]:
        return self.headers("home_doctor", staff_id=str(practitioner_id))

    async def request(self, body: dict[str, Any], role: str = "call_center", **claims: Any) -> httpx.Response:
        return await self.client.post("/v1/home-visits", json=body, headers=self.headers(role, **claims))

    async def report(self, description: str = "fever 39.5 since morning", **extra: Any) -> dict[str, Any]:
        """HV-10: the urgent-program patient reports that their state worsened; the 201 body."""
        body = {"patient_id": str(PATIENT_URGENT), "description": description, **extra}
        r = await self.client.post(
            "/v1/deterioration-reports",
            json=body,
            headers=self.headers("patient", patient_id=str(PATIENT_URGENT)),
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def events(self, type_suffix: str) -> list[dict[str, Any]]:
        t = self.svc.state.platform.outbox
        async with self.svc.state.db.sessionmaker() as s:
            rows = (await s.execute(select(t.c.envelope).order_by(t.c.position))).scalars().all()
        return [EventEnvelope.model_validate(r).data for r in rows if r["type"].endswith(type_suffix)]


def visit_body(
    patient_id: UUID = PATIENT_URGENT,
    *,
    kind: str = "planned",
    lat: float = 55.7600,
    lon: float = 37.6000,
    enrollment_id: UUID | None = ENROLLMENT_URGENT,
    fever: bool = True,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "patient_id": str(patient_id),
        "address": {"text": "Moscow, test street", "lat": lat, "lon": lon},
        "kind": kind,
        "indications": {"temperature_above_38": fever},
    }
    if enrollment_id is not None:
        body["enrollment_id"] = str(enrollment_id)
    return body


@pytest.fixture
async def hv(stack: Stack) -> AsyncIterator[HV]:
    clock = FixedClock(NOW)
    svc = await stack.start("home-visits", clock=clock, run_workers=False, billing_url=None)
    async with svc.state.db.sessionmaker() as session, session.begin():
        await seed(session, svc.settings)
    await moscow.teach_all(
        svc,
        [
            (moscow.organization(), ORG_MOSCOW_ID),
            moscow.doctor(DOCTOR_1, f"Doctor {DOCTOR_1}"),
            moscow.doctor(DOCTOR_2, f"Doctor {DOCTOR_2}"),
            moscow.doctor(CLINIC_DOCTOR, "Clinic doctor", home_care=False),
            *moscow.weekly_shifts(DOCTOR_1, time(8), time(16), tag="test"),
            *moscow.weekly_shifts(DOCTOR_2, time(10), time(18), tag="test"),
            moscow.patient(PATIENT_URGENT, "Ivanova", "Anna"),
            moscow.patient(PATIENT_PLANNED, "Ivanova", "Olga"),
            moscow.patient(PATIENT_NONE, "Ivanova", "Irina"),
            (enrollment(ENROLLMENT_URGENT, PATIENT_URGENT, True), ENROLLMENT_URGENT),
            (enrollment(ENROLLMENT_PLANNED, PATIENT_PLANNED, False), ENROLLMENT_PLANNED),
        ],
    )
    for pid in (PATIENT_URGENT, PATIENT_PLANNED):
        await open_cabinet(svc, pid, ORG_MOSCOW_ID)
    yield HV(svc, clock, stack)
