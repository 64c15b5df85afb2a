"""Billing: what a payment costs with its receipt number, ledger movement and fiscal document, and
how fast the coverage engine decides.

Run by `make bench` (`python -m clinic_devstack.bench`), on its PostgreSQL and NATS. Measured:
  a. `POST /v1/payments` (Idempotency-Key, receipt numbered in sequence per organization, one
     balanced ledger movement, a fiscal document and its delivery row, `payment.captured`), each on
     its own invoice, at concurrency 1 and 8: payments/s and latency; the receipt numbers are then
     checked to run 1..N without gaps, and the ledger to reconcile;
  b. `GET /v1/enrollments/{id}/coverage` on the demo program (BIL-13): decisions/s, covered and
     charged, at concurrency 1 and 8;
  c. the fiscal delivery worker registering the pending documents (recording register): documents/s.
Figures only; nothing is asserted.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

ORG = uuid.UUID("0b000000-0000-4000-8000-000000000001")  # the Moscow demo organization (P preset)


async def _learn(billing: Any, payload: Any, subject: uuid.UUID) -> None:
    from clinic_testkit.stack import teach

    await teach(billing, payload, aggregate_id=subject)


async def bench_billing(stack: Any, requests: int, overrides: dict[str, Any]) -> str:
    from clinic_common.clock import SharedOffsetClock
    from clinic_common.events.payloads.records import PatientRegistered
    from clinic_common.events.payloads.scheduling import AppointmentBooked
    from clinic_devstack.bench import SERIES_HEADERS, run_series, scalar, table
    from clinic_testkit.stack import auth, organization_event

    from billing.demo import DEMO_PROGRAM_ID, seed

    clock = SharedOffsetClock(stack.clock_file)
    now = datetime.now(UTC).replace(microsecond=0)
    clock.set(now)
    billing = await stack.start("billing", run_workers=False, **overrides)
    async with billing.state.db.sessionmaker() as session, session.begin():
        await seed(session, billing.settings)
    await _learn(billing, organization_event(ORG, "RU"), ORG)
    patient = uuid.uuid4()
    await _learn(
        billing,
        PatientRegistered(
            patient_id=patient,
            organization_id=ORG,
            last_name="Бенчев",
            first_name="Пётр",
            birth_date=datetime(1980, 1, 1).date(),
            phone="+79160000000",
            address_text="Москва",
        ),
        patient,
    )
    cashier = auth(stack.token("cashier", org=str(ORG)))
    registrar = auth(stack.token("registrar", org=str(ORG)))

    total = 2 * requests + 20
    invoices: list[str] = []
    for n in range(total):
        appointment = uuid.uuid4()
        start = now + timedelta(days=1, minutes=n)
        await _learn(
            billing,
            AppointmentBooked(
                appointment_id=appointment,
                organization_id=ORG,
                patient_id=patient,
                practitioner_id=uuid.uuid4(),
                branch_id=uuid.uuid4(),
                service_code="therapist_first",
                start=start,
                end=start + timedelta(minutes=30),
                channel="registry",
            ),
            appointment,
        )
        invoices.append(
            str(await scalar(billing, "SELECT id FROM invoices WHERE appointment_id = :a", a=appointment))
        )
    queue = iter(invoices)

    async def pay(_i: int) -> int:
        r = await billing.client.post(
            "/v1/payments",
            json={
                "invoice_id": next(queue),
                "amount": {"amount": "2500.00", "currency": "RUB"},
                "method": "card",
            },
            headers={**cashier, "Idempotency-Key": str(uuid.uuid4())},
        )
        return int(r.status_code)

    await run_series("warm-up", pay, 10, 2)
    rows = []
    for concurrency in (1, 8):
        rows.append(
            (
                await run_series(
                    f"payment + receipt + ledger + fiscal, c={concurrency}", pay, requests, concurrency
                )
            ).row()
        )
    from sqlalchemy import text

    async with billing.state.db.engine.connect() as conn:
        numbers = [
            int(r[0]) for r in await conn.execute(text("SELECT receipt_number FROM payments ORDER BY 1"))
        ]
    gapless = numbers == list(range(1, len(numbers) + 1))
    r = await billing.client.get(
        "/v1/ledger/reconciliation",
        params={"organization_id": str(ORG)},
        headers=auth(stack.token("director", org=str(ORG))),
    )
    reconciled = r.status_code == 200 and bool(r.json().get("ok"))

    e = await billing.client.post(
        "/v1/enrollments",
        json={
            "program_id": str(DEMO_PROGRAM_ID),
            "patient_id": str(patient),
            "starts_on": now.date().isoformat(),
        },
        headers=registrar,
    )
    enrollment = e.json()["id"]
    await billing.client.post(
        "/v1/payments",
        json={
            "invoice_id": e.json()["invoice_id"],
            "amount": {"amount": "95000.00", "currency": "RUB"},
            "method": "card",
        },
        headers={**cashier, "Idempotency-Key": str(uuid.uuid4())},
    )
    codes = ["therapist_first", "holter_ecg", "ecg", "medical_record_extract", "cardiologist_first"]

    async def cover(i: int) -> int:
        r = await billing.client.get(
            f"/v1/enrollments/{enrollment}/coverage",
            params={"service_code": codes[i % len(codes)]},
            headers=registrar,
        )
        return int(r.status_code)

    for concurrency in (1, 8):
        rows.append(
            (await run_series(f"coverage decision, c={concurrency}", cover, requests, concurrency)).row()
        )

    pending = int(await scalar(billing, "SELECT count(*) FROM fiscal_documents WHERE status = 'pending'"))
    started = time.perf_counter()
    for _ in range(pending // billing.state.delivery_worker.batch_size + 5):
        if await billing.state.delivery_worker.run_once() == 0:
            break
    took = time.perf_counter() - started
    registered = int(
        await scalar(billing, "SELECT count(*) FROM fiscal_documents WHERE status = 'registered'")
    )
    await stack.stop(billing)
    return "\n".join(
        [
            "billing: payments with receipt numbering and ledger, coverage decisions (bench_billing)",
            table(SERIES_HEADERS, rows),
            f"receipt numbers 1..{len(numbers)} without gaps: {gapless}; ledger reconciles: {reconciled}",
            f"fiscal worker (recording register): {registered} of {pending} documents in {took:.2f} s"
            f" = {registered / took if took > 0 else float('nan'):.0f} documents/s",
        ]
    )
