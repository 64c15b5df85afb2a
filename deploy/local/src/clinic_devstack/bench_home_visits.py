"""Home visits: what a request costs, what planning a branch-day costs, and VROOM's routes against
a nearest-neighbour baseline (HV-9).

Run by `make bench` (`python -m clinic_devstack.bench`), on its PostgreSQL and NATS. One
home-visits service (relay off, billing not configured) is taught through its event handlers the
Moscow organization (Arbat and Maryino, the P preset's 13:00 cutoff and 07:30-22:00 intake), seven
home-care doctors of Arbat on 8-hour shifts and one patient per request, and seeded with its demo
zones and bands; its clock is fixed on Wednesday 2026-11-25, 08:00 in Moscow. Measured:
  a. `POST /v1/home-visits`: planned requests by the call centre, each for its own patient (no
     program: billing is not asked), with an Idempotency-Key, at random addresses inside the Arbat
     demo zone (zone decision, cutoff dating, coverage, two outbox rows), at concurrency 1 and 8:
     requests/s and latency; then how many were dated that day at Arbat;
  b. `POST /v1/dispatch/plans` for Arbat's next day, holding 50 visits requested after the cutoff:
     one timing, the VROOM solve included;
  c. no service: for 20, 50 and 100 visits over the Arbat zone, a fixed seed, 40 minutes per visit,
     a third with an agreed three-hour interval (HV-3), and doctors on 8-hour shifts (one per eight
     visits), the total travel distance of VROOM's plan and of nearest neighbour (geodesic,
     WGS 84), how many visits each could fit, the distance per visit fitted (the fair comparison
     when the baseline fits fewer) and the solver's time.
`python -m clinic_devstack.bench_home_visits` prints c alone. Figures only; nothing is asserted.
"""

from __future__ import annotations

import math
import random
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

SPEED_KMH = 25.0
SERVICE_S = 40 * 60
SIZES = (20, 50, 100)
SEED = 20261125
ARBAT = (37.5930, 55.7520)  # (lon, lat) of the Arbat branch

DAY = date(2026, 11, 25)  # a Wednesday, a working day in Russia
NOW = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)  # 08:00 in Moscow: intake open, before the cutoff
AFTER_CUTOFF = datetime(2026, 11, 25, 10, 30, tzinfo=UTC)  # 13:30: planned requests go to the next day
NEXT_DAY = date(2026, 11, 26)
PLAN_VISITS = 50
DOCTORS = math.ceil(PLAN_VISITS / 8)


def _arbat_points(rng: random.Random) -> Iterator[tuple[float, float]]:
    """(lon, lat) drawn uniformly over the Arbat branch's demo zone."""
    from shapely.geometry import Point

    from home_visits.demo import DEMO_ORGANIZATIONS, demo_zone_shapes
    from home_visits.zone.geo import polygon_of

    arbat = next(z for org in DEMO_ORGANIZATIONS for z in demo_zone_shapes(org) if z.name == "Arbat")
    polygon = polygon_of(arbat.ring)
    min_lon, min_lat, max_lon, max_lat = polygon.bounds
    while True:
        lon, lat = rng.uniform(min_lon, max_lon), rng.uniform(min_lat, max_lat)
        if polygon.contains(Point(lon, lat)):
            yield lon, lat


# -- a, b: the service over HTTP -------------------------------------------------------------------


def _world(patients: list[UUID]) -> list[Any]:
    """What scheduling and records would have announced: the organization, Arbat's home-care
    doctors with a shift every weekday, the patients."""
    from datetime import time as dtime

    from clinic_common.demo import ORG_MOSCOW_ID, demo_id
    from clinic_testkit import moscow

    world: list[Any] = [(moscow.organization(), ORG_MOSCOW_ID)]
    for n in range(DOCTORS):
        doctor = demo_id("bench", "home-doctor", n)
        starts = 8 if n % 2 else 10
        world += [
            moscow.doctor(doctor, f"Home doctor {n}"),
            *moscow.weekly_shifts(doctor, dtime(starts), dtime(starts + 8), tag="bench"),
        ]
    world += [moscow.patient(p, f"Бенчева{n}", "Анна", born=date(1950, 1, 1)) for n, p in enumerate(patients)]
    return world


async def bench_home_visits(stack: Any, requests: int, overrides: dict[str, Any]) -> str:
    from clinic_common.clock import FixedClock
    from clinic_common.demo import MOSCOW_BRANCH_ARBAT_ID, ORG_MOSCOW_ID
    from clinic_devstack.bench import SERIES_HEADERS, run_series, scalar, table
    from clinic_testkit.moscow import teach_all
    from clinic_testkit.stack import auth

    from home_visits.demo import seed

    clock = FixedClock(NOW)
    svc = await stack.start("home-visits", clock=clock, run_workers=False, billing_url=None, **overrides)
    async with svc.state.db.sessionmaker() as session, session.begin():
        await seed(session, svc.settings)
    patients = [uuid.uuid4() for _ in range(10 + 2 * requests + PLAN_VISITS)]
    await teach_all(svc, _world(patients))
    caller = auth(stack.token("call_center", org=str(ORG_MOSCOW_ID)))
    people = iter(patients)
    places = _arbat_points(random.Random(SEED))

    async def request(_i: int) -> int:
        lon, lat = next(places)
        r = await svc.client.post(
            "/v1/home-visits",
            json={
                "patient_id": str(next(people)),
                "address": {"text": "Москва, Арбатский район", "lat": lat, "lon": lon},
                "kind": "planned",
                "indications": {"temperature_above_38": True},
            },
            headers={**caller, "Idempotency-Key": str(uuid.uuid4())},
        )
        return int(r.status_code)

    await run_series("warm-up", request, 10, 2)
    rows = [(await run_series(f"planned request, c={c}", request, requests, c)).row() for c in (1, 8)]
    dated = await scalar(
        svc,
        "SELECT count(*) FROM home_visits WHERE scheduled_for = :day AND branch_id = :branch",
        day=DAY,
        branch=MOSCOW_BRANCH_ARBAT_ID,
    )

    clock.set(AFTER_CUTOFF)
    next_day = await run_series("after the cutoff", request, PLAN_VISITS, 1)
    started = time.perf_counter()
    r = await svc.client.post(
        "/v1/dispatch/plans",
        json={"branch_id": str(MOSCOW_BRANCH_ARBAT_ID), "date": NEXT_DAY.isoformat()},
        headers=auth(stack.token("dispatcher", org=str(ORG_MOSCOW_ID))),
    )
    took = time.perf_counter() - started
    await stack.stop(svc)
    refused = f" ({next_day.row()[-1]} of the requests refused)" if next_day.errors else ""
    if r.status_code == 200:
        plan = r.json()
        assigned = sum(len(route["stops"]) for route in plan["routes"])
        planned = (
            f"{assigned} of {len(next_day.latencies)} visits{refused} on {len(plan['routes'])} routes of "
            f"{DOCTORS} doctors, {plan['total_distance_km']:.1f} km, {len(plan['unassigned'])} "
            f"unassigned, in {took:.2f} s"
        )
    else:
        planned = f"HTTP {r.status_code}{refused}: {r.text[:300]}"
    return "\n".join(
        [
            "home-visits: planned requests (POST /v1/home-visits, call centre, one patient each, "
            "Idempotency-Key, Arbat zone; relay off, billing not asked)",
            table(SERIES_HEADERS, rows),
            f"dated {DAY} at Arbat (before the 13:00 cutoff): {dated} of {10 + 2 * requests}",
            f"dispatch plan (POST /v1/dispatch/plans, Arbat, {NEXT_DAY}, one call): {planned}",
            "",
            run(),
        ]
    )


# -- c: the solver alone ---------------------------------------------------------------------------


def _day(n_visits: int, rng: random.Random) -> tuple[list[object], list[object]]:
    from home_visits.dispatch.domain import Doctor, Stop

    points = _arbat_points(rng)
    stops: list[object] = []
    while len(stops) < n_visits:
        lon, lat = next(points)
        window = None
        if rng.random() < 1 / 3:
            start = rng.randint(9, 14) * 3600
            window = (start, start + 3 * 3600)
        stops.append(Stop(UUID(int=rng.getrandbits(128)), lon, lat, SERVICE_S, window))
    doctors: list[object] = [
        Doctor(
            UUID(int=rng.getrandbits(128)),
            ARBAT,
            ARBAT,
            (8 * 3600, 16 * 3600) if i % 2 else (10 * 3600, 18 * 3600),
        )
        for i in range(math.ceil(n_visits / 8))
    ]
    return doctors, stops


def run() -> str:
    from home_visits.dispatch.domain import nearest_neighbour, solve

    rng = random.Random(SEED)
    rows = []
    for n in SIZES:
        doctors, stops = _day(n, rng)
        started = time.perf_counter()
        plan = solve(doctors, stops, speed_kmh=SPEED_KMH)  # type: ignore[arg-type]
        solve_s = time.perf_counter() - started
        started = time.perf_counter()
        baseline = nearest_neighbour(doctors, stops, speed_kmh=SPEED_KMH)  # type: ignore[arg-type]
        baseline_s = time.perf_counter() - started
        per_visit = plan.distance_km / plan.assigned if plan.assigned else float("nan")
        per_visit_nn = baseline.distance_km / baseline.assigned if baseline.assigned else float("nan")
        rows.append(
            f"| {n} | {len(doctors)} | {plan.assigned} / {baseline.assigned} | {plan.distance_km:.1f} | "
            f"{baseline.distance_km:.1f} | {per_visit:.2f} / {per_visit_nn:.2f} | "
            f"{per_visit / per_visit_nn:.2f} | {solve_s:.2f} | {baseline_s * 1000:.1f} |"
        )
    header = [
        "home-visit dispatch (HV-9): VROOM vs nearest neighbour, Arbat demo zone, seed "
        f"{SEED}, {SPEED_KMH:g} km/h, {SERVICE_S // 60} min per visit, 1/3 with an agreed interval",
        "| visits | doctors | assigned vroom / nn | vroom km | nn km | km per visit vroom / nn | ratio | "
        "vroom s | nn ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    return "\n".join(header + rows)


def main() -> int:
    print(run(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
