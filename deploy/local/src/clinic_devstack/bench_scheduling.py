"""Scheduling: free-slot search and booking conflicts.

Run by `make bench` (`python -m clinic_devstack.bench`), on its PostgreSQL. One branch with 50
practitioners, each working 08:00-20:00 Monday to Saturday in visits of 30 minutes (24 a day), a
fifth of each day already booked, some of it delayed, one absence. Measured:
  a. `GET /v1/slots?branch_id=&service_code=` for one branch-day: p50/p95 (the target: p95 at
     most 20 ms);
  b. the same for 30 days (every page of 10 000 slots): p50/p95 of the whole search;
  c. N concurrent bookings of one slot by N patients: how long until all are answered, one 201;
  d. `POST /v1/appointments` of distinct free slots (found by the search) by distinct patients, at
     concurrency 1 and 8: bookings/s and latency, each with its exclusion-constraint insert, the
     SCH checks on the projections and its `appointment.booked` outbox row.
Figures only; nothing is asserted.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

ORG = uuid.UUID("0be50000-0000-4000-8000-0000000000be")
BRANCH = uuid.UUID("0be50000-0000-4000-8000-0000000000b1")
PRACTITIONERS = 50
DAY = date(2026, 11, 24)  # a Tuesday, no holiday in Russia
NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # the day before, 09:00 in Moscow
SERVICE = "bench_visit"


def _ids(n: int) -> uuid.UUID:
    return uuid.UUID(int=ORG.int + 0x10000 + n)


async def _setup(svc: Any) -> None:
    """The organization, its practitioners and shifts through scheduling's own use cases, then a
    fifth of 30 days booked straight into the table (the bench is about reading them)."""
    from datetime import time as dtime

    from sqlalchemy import insert

    from clinic_common.events.outbox import Outbox
    from clinic_common.events.payloads.billing import ServiceUpserted
    from clinic_testkit.stack import teach

    from scheduling.absence.models import Absence
    from scheduling.appointment.models import Appointment
    from scheduling.db import platform
    from scheduling.organization.domain import P_PRESET, daily
    from scheduling.organization.schemas import BranchUpsert, OrganizationUpsert, PolicyVersionUpsert
    from scheduling.organization.service import upsert_organization
    from scheduling.practitioner.domain import VisitType
    from scheduling.practitioner.schemas import PractitionerUpsert, ShiftUpsert
    from scheduling.practitioner.service import upsert_practitioner, upsert_shift

    outbox = Outbox(platform, source="scheduling")
    hours = daily(dtime(8), dtime(21))
    async with svc.state.db.sessionmaker() as session, session.begin():
        await upsert_organization(
            session,
            outbox,
            OrganizationUpsert(
                id=ORG,
                name="Bench polyclinic",
                country="RU",
                currency="RUB",
                time_zone="Europe/Moscow",
                policy_versions=[PolicyVersionUpsert(effective_from=date(2020, 1, 1), policy=P_PRESET)],
                branches=[
                    BranchUpsert(
                        id=BRANCH,
                        name="Bench",
                        address="Moscow",
                        opening_hours=hours,
                        phone_booking_hours=hours,
                        electronic_queue=True,
                    )
                ],
            ),
            NOW,
        )
        for n in range(PRACTITIONERS):
            await upsert_practitioner(
                session,
                outbox,
                PractitionerUpsert(
                    id=_ids(n),
                    organization_id=ORG,
                    branch_ids=[BRANCH],
                    full_name=f"Doctor {n}",
                    specialty="therapist",
                    qualification="Doctor",
                    experience_years=10,
                    visit_durations=dict.fromkeys(VisitType, 30),
                ),
                NOW,
            )
            for weekday in range(6):
                await upsert_shift(
                    session,
                    outbox,
                    ShiftUpsert(
                        id=uuid.uuid5(_ids(n), str(weekday)),
                        practitioner_id=_ids(n),
                        branch_id=BRANCH,
                        weekday=weekday,
                        starts=dtime(8),
                        ends=dtime(20),
                        valid_from=date(2020, 1, 1),
                    ),
                    NOW,
                )
    service_id = uuid.uuid4()
    await teach(
        svc,
        ServiceUpserted(
            id=service_id,
            organization_id=ORG,
            code=SERVICE,
            name="Visit",
            duration_minutes=30,
            category="consultation",
        ),
        aggregate_id=service_id,
    )
    rows = []
    for offset in range(30):
        day = DAY + timedelta(days=offset)
        first = datetime.combine(day, dtime(5), UTC)  # 08:00 in Moscow
        for n in range(PRACTITIONERS):
            for k in range(0, 24, 5):  # every fifth visit booked
                start = first + timedelta(minutes=30 * k)
                rows.append(
                    {
                        "id": uuid.uuid4(),
                        "organization_id": ORG,
                        "branch_id": BRANCH,
                        "practitioner_id": _ids(n),
                        "patient_id": uuid.uuid4(),
                        "service_code": SERVICE,
                        "kind": "booked",
                        "start_at": start,
                        "end_at": start + timedelta(minutes=30),
                        "expected_start_at": start + timedelta(minutes=10 if k == 5 else 0),
                        "delay_minutes": 10 if k == 5 else 0,
                        "status": "booked",
                        "channel": "registry",
                        "payer_kind": "patient",
                        "booked_at": NOW,
                        "booked_by": "bench",
                        "version": 1,
                    }
                )
    async with svc.state.db.sessionmaker() as session, session.begin():
        for i in range(0, len(rows), 2000):
            await session.execute(insert(Appointment), rows[i : i + 2000])
        session.add(
            Absence(
                id=uuid.uuid4(),
                organization_id=ORG,
                practitioner_id=_ids(0),
                starts_at=datetime.combine(DAY, dtime(9), UTC),
                ends_at=datetime.combine(DAY, dtime(12), UTC),
                reason="bench",
                declared_at=NOW,
                declared_by="bench",
            )
        )


async def _timed(call: Any, count: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    slots = 0
    for _ in range(count):
        started = time.perf_counter()
        slots = await call()
        latencies.append(time.perf_counter() - started)
    return latencies, slots


async def bench_scheduling(stack: Any, requests: int, overrides: dict[str, Any]) -> str:
    from clinic_common.clock import FixedClock
    from clinic_common.events.payloads.records import PatientRegistered
    from clinic_devstack.bench import SERIES_HEADERS, ms, percentile, run_series, table
    from clinic_testkit.stack import auth, teach

    svc = await stack.start("scheduling", run_workers=False, clock=FixedClock(NOW), **overrides)
    await _setup(svc)

    async def search(days: int) -> int:
        params: dict[str, str] = {
            "branch_id": str(BRANCH),
            "service_code": SERVICE,
            "from": str(DAY),
            "to": str(DAY + timedelta(days=days - 1)),
            "limit": "10000",
        }
        found = 0
        while True:
            r = await svc.client.get("/v1/slots", params=params)
            assert r.status_code == 200, r.text
            page = r.json()
            found += len(page["items"])
            if not page["next_cursor"]:
                return found
            params["cursor"] = page["next_cursor"]

    await search(1)  # warm up
    day, day_slots = await _timed(lambda: search(1), requests)
    month, month_slots = await _timed(lambda: search(30), max(5, requests // 20))

    contenders = max(20, requests // 4)
    patients = [uuid.uuid4() for _ in range(contenders)]
    bookers = [uuid.uuid4() for _ in range(2 * requests + 10)]
    for p in patients + bookers:
        await teach(
            svc,
            PatientRegistered(
                patient_id=p,
                organization_id=ORG,
                last_name="Bench",
                first_name="Patient",
                birth_date=date(1990, 1, 1),
                phone="+70000000000",
                address_text="Moscow",
            ),
            aggregate_id=p,
        )
    headers = auth(stack.token("registrar", org=str(ORG)))
    start = datetime.combine(DAY, datetime.min.time(), UTC) + timedelta(hours=5, minutes=30)  # 08:30 free
    body = {
        "practitioner_id": str(_ids(1)),
        "service_code": SERVICE,
        "start": start.isoformat(),
        "channel": "registry",
    }
    began = time.perf_counter()
    answers = await asyncio.gather(
        *[
            svc.client.post("/v1/appointments", json={**body, "patient_id": str(p)}, headers=headers)
            for p in patients
        ]
    )
    race = time.perf_counter() - began
    won = sum(1 for r in answers if r.status_code == 201)
    taken = sum(1 for r in answers if r.status_code == 409)

    # d. distinct free slots of the next day, one patient each: the booking path's own cost
    r = await svc.client.get(
        "/v1/slots",
        params={
            "branch_id": str(BRANCH),
            "service_code": SERVICE,
            "from": str(DAY + timedelta(days=1)),
            "to": str(DAY + timedelta(days=1)),
            "limit": "10000",
        },
    )
    free = iter(r.json()["items"])
    people = iter(bookers)

    async def book(_i: int) -> int:
        slot = next(free)
        answer = await svc.client.post(
            "/v1/appointments",
            json={
                "patient_id": str(next(people)),
                "practitioner_id": slot["practitioner_id"],
                "service_code": SERVICE,
                "start": slot["start"],
                "channel": "registry",
            },
            headers=headers,
        )
        return int(answer.status_code)

    await run_series("warm-up", book, 10, 2)
    series = [(await run_series(f"book a free slot, c={c}", book, requests, c)).row() for c in (1, 8)]

    rows = [
        [
            "one branch-day (50 practitioners)",
            str(len(day)),
            str(day_slots),
            ms(percentile(day, 50)),
            ms(percentile(day, 95)),
        ],
        [
            "30 days, every page",
            str(len(month)),
            str(month_slots),
            ms(percentile(month, 50)),
            ms(percentile(month, 95)),
        ],
    ]
    return "\n".join(
        [
            "scheduling: free-slot search (GET /v1/slots, one branch, 50 practitioners, a fifth booked)",
            table(("search", "n", "slots", "p50 ms", "p95 ms"), rows),
            f"p95 of a branch-day: {ms(percentile(day, 95))} ms (target: at most 20 ms)",
            f"{contenders} concurrent bookings of one slot: {won} x 201, {taken} x 409 slot_taken, "
            f"all answered in {race * 1000:.0f} ms",
            "booking distinct free slots (POST /v1/appointments, registrar, one patient each):",
            table(SERIES_HEADERS, series),
        ]
    )
