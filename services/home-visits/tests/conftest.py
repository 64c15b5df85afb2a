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
from clinic_common.events.catalog import EventPayload
from clinic_common.events.envelope import EventEnvelope
from clinic_common.events.payloads.billing import EnrollmentCreated
from clinic_common.events.payloads.records import PatientRegistered
from clinic_common.events.payloads.scheduling import (
    BranchData,
    OpeningInterval,
    OrganizationUpserted,
    PolicyVersionData,
    PractitionerUpserted,
    ShiftUpserted,
)
from clinic_testkit.stack import Stack, Svc, auth, open_cabinet, teach

from home_visits.demo import seed

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # Wednesday, 12:00 in Moscow: before the 13:00 cutoff
ARBAT = (55.7520, 37.5930)  # (lat, lon) of the Arbat branch
DOCTOR_1 = demo_id("test", "home-doctor", 1)
DOCTOR_2 = demo_id("test", "home-doctor", 2)
CLINIC_DOCTOR = demo_id("test", "clinic-doctor", 1)
PATIENT_URGENT = demo_id("test", "patient", "urgent-program")
PATIENT_PLANNED = demo_id("test", "patient", "planned-program")
PATIENT_NONE = demo_id("test", "patient", "no-program")
ENROLLMENT_URGENT = demo_id("test", "enrollment", "urgent")
ENROLLMENT_PLANNED = demo_id("test", "enrollment", "planned")
P_POLICY: dict[str, object] = {
    "home_visit_cutoff_working_day": "13:00:00",
    "home_visit_cutoff_day_off": "12:00:00",
    "home_visit_intake_hours": [{"weekday": d, "opens": "07:30:00", "closes": "22:00:00"} for d in range(7)],
    "deterioration_ack_minutes": 30,
}


def organization() -> OrganizationUpserted:
    hours = [OpeningInterval(weekday=d, opens=time(8), closes=time(21)) for d in range(7)]
    return OrganizationUpserted(
        id=ORG_MOSCOW_ID,
        name="Moscow polyclinics",
        country="RU",
        currency="RUB",
        time_zone="Europe/Moscow",
        branches=[
            BranchData(
                id=MOSCOW_BRANCH_ARBAT_ID,
                name="Arbat",
                address="Arbat 1",
                time_zone="Europe/Moscow",
                lat=ARBAT[0],
                lon=ARBAT[1],
                opening_hours=hours,
            ),
            BranchData(
                id=MOSCOW_BRANCH_MARYINO_ID,
                name="Maryino",
                address="Maryino 1",
                time_zone="Europe/Moscow",
                lat=55.65,
                lon=37.744,
                opening_hours=hours,
            ),
        ],
        policy=P_POLICY,
        policy_effective_from=date(2026, 1, 1),
        policy_versions=[PolicyVersionData(effective_from=date(2026, 1, 1), policy=P_POLICY)],
    )


def patient(pid: UUID, name: str) -> PatientRegistered:
    return PatientRegistered(
        patient_id=pid,
        organization_id=ORG_MOSCOW_ID,
        last_name="Ivanova",
        first_name=name,
        birth_date=date(1980, 1, 1),
        phone="+7 900 000 00 00",
        address_text="Moscow",
    )


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


async def teach_all(svc: Svc, payloads: list[tuple[EventPayload, UUID]]) -> None:
    for payload, aggregate in payloads:
        await teach(svc, payload, aggregate_id=aggregate)


@pytest.fixture
async def hv(stack: Stack) -> AsyncIterator[HV]:
    clock = FixedClock(NOW)
    svc = await stack.start("home-visits", clock=clock, run_workers=False, billing_url=None)
    async with svc.state.db.sessionmaker() as session, session.begin():
        await seed(session, svc.settings)
    shifts: list[tuple[EventPayload, UUID]] = []
    for n, doctor in enumerate((DOCTOR_1, DOCTOR_2)):
        for weekday in range(7):
            shift_id = demo_id("test", "shift", doctor, weekday)
            shifts.append(
                (
                    ShiftUpserted(
                        id=shift_id,
                        organization_id=ORG_MOSCOW_ID,
                        practitioner_id=doctor,
                        branch_id=MOSCOW_BRANCH_ARBAT_ID,
                        weekday=weekday,
                        starts=time(8 + 2 * n),
                        ends=time(16 + 2 * n),
                        valid_from=date(2026, 1, 1),
                        time_zone="Europe/Moscow",
                    ),
                    shift_id,
                )
            )
    await teach_all(
        svc,
        [
            (organization(), ORG_MOSCOW_ID),
            *[
                (
                    PractitionerUpserted(
                        id=d,
                        organization_id=ORG_MOSCOW_ID,
                        branch_ids=[MOSCOW_BRANCH_ARBAT_ID],
                        full_name=f"Doctor {d}",
                        specialty="therapist",
                        qualification="first",
                        experience_years=10,
                        home_care=True,
                    ),
                    d,
                )
                for d in (DOCTOR_1, DOCTOR_2)
            ],
            (
                PractitionerUpserted(
                    id=CLINIC_DOCTOR,
                    organization_id=ORG_MOSCOW_ID,
                    branch_ids=[MOSCOW_BRANCH_ARBAT_ID],
                    full_name="Clinic doctor",
                    specialty="therapist",
                    qualification="first",
                    experience_years=10,
                ),
                CLINIC_DOCTOR,
            ),
            *shifts,
            (patient(PATIENT_URGENT, "Anna"), PATIENT_URGENT),
            (patient(PATIENT_PLANNED, "Olga"), PATIENT_PLANNED),
            (patient(PATIENT_NONE, "Irina"), PATIENT_NONE),
            (enrollment(ENROLLMENT_URGENT, PATIENT_URGENT, True), ENROLLMENT_URGENT),
            (enrollment(ENROLLMENT_PLANNED, PATIENT_PLANNED, False), ENROLLMENT_PLANNED),
        ],
    )
    for pid in (PATIENT_URGENT, PATIENT_PLANNED):
        await open_cabinet(svc, pid, ORG_MOSCOW_ID)
    yield HV(svc, clock, stack)
