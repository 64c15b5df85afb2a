"""Home-visit dispatch (HV-9): VROOM's routes against a nearest-neighbour baseline.

`python -m clinic_devstack.bench_home_visits` (also run by `make bench`). For 20, 50 and 100 visits
spread over the Arbat branch's demo zone (inside the MKAD), a fixed seed, 40 minutes per visit, a
third of them with an agreed three-hour interval (HV-3), and home-care doctors on 8-hour shifts
(one per eight visits), it prints the total travel distance of both plans (geodesic, WGS 84), how
many visits each could fit, the distance per visit fitted (the fair comparison when the baseline
fits fewer) and the solver's time. Figures only; nothing is asserted.
"""

from __future__ import annotations

import math
import random
import sys
import time
from uuid import UUID

SPEED_KMH = 25.0
SERVICE_S = 40 * 60
SIZES = (20, 50, 100)
SEED = 20261125
ARBAT = (37.5930, 55.7520)  # (lon, lat) of the Arbat branch


def _day(n_visits: int, rng: random.Random) -> tuple[list[object], list[object]]:
    from shapely.geometry import Point

    from home_visits.demo import DEMO_ORGANIZATIONS, demo_zone_shapes
    from home_visits.dispatch.domain import Doctor, Stop
    from home_visits.zone.geo import polygon_of

    arbat = next(z for org in DEMO_ORGANIZATIONS for z in demo_zone_shapes(org) if z.name == "Arbat")
    polygon = polygon_of(arbat.ring)
    min_lon, min_lat, max_lon, max_lat = polygon.bounds
    stops: list[object] = []
    while len(stops) < n_visits:
        lon, lat = rng.uniform(min_lon, max_lon), rng.uniform(min_lat, max_lat)
        if not polygon.contains(Point(lon, lat)):
            continue
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
