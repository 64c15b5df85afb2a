"""Records: what the medical-secrecy rules cost (REC-13) and how fast reminders go out.

Run by `make bench` (`python -m clinic_devstack.bench`), on its PostgreSQL and NATS. Measured:
  a. `GET /v1/patients/{id}/entries` of a card of 20 entries by the doctor in the patient's care
     (object-level check, then one insert-only audit row per entry read) against `GET
     /v1/patients/{id}` (organization check only, no audit): req/s and latency at concurrency 1
     and 8, and audit rows written per second;
  b. the reminder scheduler: N visits booked with their reminders due, the clock moved past them,
     `send_due` batches settling them (a notification, its cabinet row and an SMS delivery row each):
     reminders per second.
Figures only; nothing is asserted.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

ORG = uuid.UUID("0ae00000-0000-4000-8000-0000000000ae")
DOCTOR = uuid.UUID("0ae00000-0000-4000-8000-00000000d0c1")
ENTRIES = 20


def _iin(birth: date, serial: int) -> str:
    from records.patient.iin import iin_check_digit

    for s in range(serial, serial + 100):
        first = f"{birth:%y%m%d}4{s % 10000:04d}"
        digit = iin_check_digit(first)
        if digit is not None:
            return first + str(digit)
    raise AssertionError("no IIN")


async def _patient(records: Any, headers: dict[str, str], n: int) -> str:
    birth = date(1980, 1, 1) + timedelta(days=n)
    r = await records.client.post(
        "/v1/patients",
        json={
            "organization_id": str(ORG),
            "last_name": "Бенчева",
            "first_name": f"Анна {n}",
            "birth_date": birth.isoformat(),
            "sex": "female",
            "iin": _iin(birth, n),
            "identity_document": {"kind": "id_card", "number": f"04{n:07d}"},
            "address": {"text": "Алматы, пр. Достык 1"},
            "phone": "+7 701 000 00 00",
            "personal_data_consent": True,
        },
        headers=headers,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _book(records: Any, patient_id: str, start: datetime) -> None:
    from clinic_common.events.payloads.scheduling import AppointmentBooked
    from clinic_testkit.stack import teach

    aid = uuid.uuid4()
    await teach(
        records,
        AppointmentBooked(
            appointment_id=aid,
            organization_id=ORG,
            patient_id=uuid.UUID(patient_id),
            practitioner_id=DOCTOR,
            branch_id=uuid.UUID(int=ORG.int + 1),
            service_code="therapist_first",
            start=start,
            end=start + timedelta(minutes=30),
            channel="registry",
        ),
        aggregate_id=aid,
    )


async def bench_records(stack: Any, requests: int, overrides: dict[str, Any]) -> str:
    from clinic_common.clock import SharedOffsetClock
    from clinic_devstack.bench import SERIES_HEADERS, run_series, scalar, table
    from clinic_testkit.stack import auth, organization_event, teach

    from records.notification.reminders import send_due

    clock = SharedOffsetClock(stack.clock_file)
    now = datetime.now(UTC).replace(microsecond=0)
    clock.set(now)
    records = await stack.start("records", run_workers=False, **overrides)
    await teach(records, organization_event(ORG, "KZ"), aggregate_id=ORG)
    registrar = auth(stack.token("registrar", org=str(ORG)))
    doctor = auth(stack.token("doctor", org=str(ORG), staff_id=str(DOCTOR)))

    patient = await _patient(records, registrar, 1)
    await _book(records, patient, now + timedelta(days=30))
    for i in range(ENTRIES):
        r = await records.client.post(
            f"/v1/patients/{patient}/entries",
            json={"kind": "examination", "text": f"Осмотр {i}"},
            headers=doctor,
        )
        assert r.status_code == 201, r.text

    async def card(_i: int) -> int:
        return int((await records.client.get(f"/v1/patients/{patient}/entries", headers=doctor)).status_code)

    async def person(_i: int) -> int:
        return int((await records.client.get(f"/v1/patients/{patient}", headers=doctor)).status_code)

    rows = []
    audit_rates = []
    for concurrency in (1, 8):
        before = await scalar(records, "SELECT count(*) FROM audit_events")
        series = await run_series(
            f"card read, {ENTRIES} entries, c={concurrency}", card, requests, concurrency
        )
        written = int(await scalar(records, "SELECT count(*) FROM audit_events")) - int(before)
        audit_rates.append(f"c={concurrency}: {written / series.elapsed:.0f} audit rows/s")
        rows.append(series.row())
        rows.append(
            (
                await run_series(f"patient read (no audit), c={concurrency}", person, requests, concurrency)
            ).row()
        )

    # b. reminders: one visit per patient, both lead times due once the clock has moved.
    visits = max(20, requests // 2)
    for n in range(visits):
        pid = await _patient(records, registrar, 100 + n)
        await _book(records, pid, now + timedelta(hours=30))
    clock.set(now + timedelta(hours=29))
    settled = 0
    started = time.perf_counter()
    while True:
        async with records.state.db.sessionmaker() as session, session.begin():
            batch = await send_due(session, clock.now())
        if batch == 0:
            break
        settled += batch
    took = time.perf_counter() - started
    await stack.stop(records)
    clock.set(now)
    return (
        "records: card reads with the audit trail (REC-13), reminders (records.notification)\n"
        + table(SERIES_HEADERS, rows)
        + "\n"
        + "audit rows written: "
        + "; ".join(audit_rates)
        + "\n"
        + f"reminder scheduler: {settled} reminders settled (notification + cabinet row + SMS delivery "
        f"row each) in {took:.2f} s = {settled / took if took else float('nan'):.0f}/s"
    )
