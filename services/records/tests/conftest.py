"""Shared helpers of records' tests: an organization, registered persons, booked visits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from clinic_common.clock import SharedOffsetClock
from clinic_common.events.payloads.scheduling import AppointmentBooked
from clinic_testkit.stack import Stack, Svc, auth, organization_event, teach

NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)  # Thursday 11:00 in Almaty
"""The business clock of every records test starts here (and runs on from it)."""
ORG = uuid.UUID("0a000000-0000-4000-8000-0000000000aa")
OTHER_ORG = uuid.UUID("0a000000-0000-4000-8000-0000000000bb")
BRANCH = uuid.UUID(int=ORG.int + 1)
DOCTOR = uuid.UUID("0a000000-0000-4000-8000-00000000d001")
OTHER_DOCTOR = uuid.UUID("0a000000-0000-4000-8000-00000000d002")


def make_iin(birth: date, serial: int = 1) -> str:
    """A valid IIN for a woman born on `birth`: YYMMDD, century/sex digit, serial, check digit."""
    century = {18: 2, 19: 4, 20: 6}[birth.year // 100]
    for s in range(serial, serial + 200):
        first = f"{birth:%y%m%d}{century}{s % 10000:04d}"
        digits = [int(c) for c in first]
        check = sum(d * w for d, w in zip(digits, range(1, 12), strict=True)) % 11
        if check == 10:
            check = sum(d * w for d, w in zip(digits, [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2], strict=True)) % 11
        if check != 10:
            return first + str(check)
    raise AssertionError("no IIN")


def person_body(birth: date, serial: int, **over: Any) -> dict[str, Any]:
    body = {
        "organization_id": str(ORG),
        "last_name": "Абаева",
        "first_name": f"Дана {serial}",
        "birth_date": birth.isoformat(),
        "sex": "female",
        "iin": make_iin(birth, serial),
        "identity_document": {"kind": "id_card", "number": f"0451{serial:05d}"},
        "address": {"text": "Алматы, пр. Достык 10"},
        "phone": "+7 701 123 45 67",
        "personal_data_consent": True,
    }
    body.update(over)
    return body


@dataclass
class World:
    """The records service on a fresh database, and what tests do with it (importable helpers
    would need a package; fixtures need none)."""

    stack: Stack
    svc: Svc
    serial: int = 0
    ORG = ORG
    OTHER_ORG = OTHER_ORG
    BRANCH = BRANCH
    DOCTOR = DOCTOR
    OTHER_DOCTOR = OTHER_DOCTOR
    NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)

    @staticmethod
    def years_ago(n: int) -> date:
        """A birth date making someone `n` full years old on the tests' clock (NOW)."""
        return NOW.date().replace(year=NOW.year - n) - timedelta(days=30)

    async def sql(self, query: str, **params: Any) -> list[Any]:
        async with self.svc.state.db.engine.connect() as conn:
            return list((await conn.execute(text(query), params)).all())

    def token(self, role: str, org: uuid.UUID = ORG, **claims: Any) -> dict[str, str]:
        return auth(self.stack.token(role, org=str(org), **{k: str(v) for k, v in claims.items()}))

    @property
    def registrar(self) -> dict[str, str]:
        return self.token("registrar")

    def doctor(self, staff: uuid.UUID = DOCTOR, org: uuid.UUID = ORG) -> dict[str, str]:
        return self.token("doctor", org=org, staff_id=staff)

    def person(self, person_id: str) -> dict[str, str]:
        return self.token("patient", patient_id=person_id)

    async def write_entry(self, patient_id: str) -> str:
        """A diagnosis written into the card by the attending doctor; its id."""
        r = await self.svc.client.post(
            f"/v1/patients/{patient_id}/entries",
            json={"kind": "diagnosis", "text": "ОРВИ", "icd10": "J06.9"},
            headers=self.doctor(),
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def read_card(self, patient_id: str, headers: dict[str, str]) -> Any:
        return await self.svc.client.get(f"/v1/patients/{patient_id}/entries", headers=headers)

    async def register(
        self, birth: date = date(1990, 5, 17), *, cabinet: bool = True, **over: Any
    ) -> dict[str, Any]:
        """A person registered at the registry, with their cabinet opened there (REC-19) unless not."""
        self.serial += 1
        r = await self.svc.client.post(
            "/v1/patients", json=person_body(birth, self.serial, **over), headers=self.registrar
        )
        assert r.status_code == 201, r.text
        person = dict(r.json())
        if cabinet:
            g = await self.svc.client.post(
                f"/v1/patients/{person['id']}/cabinet-access",
                json={"identity_document": person["identity_document"]},
                headers=self.registrar,
            )
            assert g.status_code == 201, g.text
        return person

    async def book(
        self,
        patient_id: str,
        *,
        practitioner: uuid.UUID = DOCTOR,
        start: datetime | None = None,
        channel: str = "registry",
        appointment_id: uuid.UUID | None = None,
        **extra: Any,
    ) -> uuid.UUID:
        """Scheduling's `appointment.booked`, through records' real handlers."""
        aid = appointment_id or uuid.uuid4()
        start = start or datetime(2026, 12, 10, 5, 0, tzinfo=UTC)
        await teach(
            self.svc,
            AppointmentBooked(
                appointment_id=aid,
                organization_id=ORG,
                patient_id=uuid.UUID(patient_id),
                practitioner_id=practitioner,
                branch_id=BRANCH,
                service_code="therapist_first",
                start=start,
                end=start + timedelta(minutes=30),
                channel=channel,
                **extra,
            ),
            aggregate_id=aid,
        )
        return aid


@pytest.fixture
async def world(stack: Stack) -> World:
    SharedOffsetClock(stack.clock_file).set(NOW)
    svc = await stack.start("records", run_workers=False)
    await teach(svc, organization_event(ORG, "KZ"), aggregate_id=ORG)
    await teach(svc, organization_event(OTHER_ORG, "KZ"), aggregate_id=OTHER_ORG)
    return World(stack, svc)
