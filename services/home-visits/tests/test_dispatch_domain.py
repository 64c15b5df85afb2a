"""HV-9: the routes VROOM plans assign every visit once and respect shifts and agreed intervals.

The routes are checked here independently of the planner: arrival times are recomputed from the
geodesic distances (pyproj) at the documented speed, and every visit's begin, every agreed
interval and every doctor's return are checked against the windows given."""

from __future__ import annotations

import random
from uuid import UUID, uuid4

import pytest
from pyproj import Geod

from home_visits.dispatch.domain import Doctor, Plan, Stop, nearest_neighbour, solve

pytestmark = pytest.mark.unit

SPEED_KMH = 25.0
SERVICE_S = 40 * 60
ARBAT = (37.5930, 55.7520)
GEOD = Geod(ellps="WGS84")
H = 3600


def travel_s(a: tuple[float, float], b: tuple[float, float]) -> int:
    _, _, metres = GEOD.inv(a[0], a[1], b[0], b[1])
    return round(metres / 1000 / SPEED_KMH * 3600)


def violations(plan: Plan, doctors: list[Doctor], stops: list[Stop]) -> list[str]:
    by_id = {s.id: s for s in stops}
    doctor_of = {d.id: d for d in doctors}
    problems: list[str] = []
    for route in plan.routes:
        doctor = doctor_of[route.doctor_id]
        here, t = doctor.start, doctor.window[0]
        for routed in route.stops:
            stop = by_id[routed.visit_id]
            arrival = t + travel_s(here, (stop.lon, stop.lat))
            begin = max(arrival, stop.window[0]) if stop.window else arrival
            if abs(routed.begin_s - begin) > 2 * len(route.stops):  # rounding of the matrix, seconds
                problems.append(f"{stop.id}: planned begin {routed.begin_s}, recomputed {begin}")
            if stop.window and not stop.window[0] <= begin <= stop.window[1]:
                problems.append(f"{stop.id}: begins at {begin}, outside its interval {stop.window}")
            if begin < doctor.window[0]:
                problems.append(f"{stop.id}: begins before the shift")
            here, t = (stop.lon, stop.lat), begin + stop.service_s
        back = t + travel_s(here, doctor.end)
        if back > doctor.window[1] + 2 * (len(route.stops) + 1):
            problems.append(f"{doctor.id}: back at {back}, after the shift ends at {doctor.window[1]}")
    return problems


def day(n_visits: int, n_doctors: int, seed: int, windowed: float = 0.3) -> tuple[list[Doctor], list[Stop]]:
    rng = random.Random(seed)
    doctors = [
        Doctor(uuid4(), ARBAT, ARBAT, (8 * H, 16 * H) if i % 2 == 0 else (10 * H, 18 * H))
        for i in range(n_doctors)
    ]
    stops = []
    for _ in range(n_visits):
        window = None
        if rng.random() < windowed:
            start = rng.randint(9, 14) * H
            window = (start, start + 3 * H)
        stops.append(
            Stop(uuid4(), 37.45 + rng.random() * 0.35, 55.63 + rng.random() * 0.24, SERVICE_S, window)
        )
    return doctors, stops


def assigned_once(plan: Plan, stops: list[Stop]) -> bool:
    ids: list[UUID] = [s.visit_id for r in plan.routes for s in r.stops] + list(plan.unassigned)
    return sorted(ids) == sorted(s.id for s in stops) and len(set(ids)) == len(ids)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_HV_9_every_visit_assigned_once_and_every_route_within_its_windows(seed: int) -> None:
    doctors, stops = day(18, 3, seed)
    plan = solve(doctors, stops, speed_kmh=SPEED_KMH)
    assert assigned_once(plan, stops)
    assert plan.unassigned == ()  # 18 visits of 40 minutes fit three 8-hour shifts
    assert violations(plan, doctors, stops) == []
    for route in plan.routes:
        assert [s.position for s in route.stops] == list(range(1, len(route.stops) + 1))


def test_HV_9_too_many_visits_leave_some_unassigned_never_overbooked() -> None:
    doctors, stops = day(30, 1, seed=7)
    plan = solve(doctors, stops, speed_kmh=SPEED_KMH)
    assert assigned_once(plan, stops)
    assert 0 < plan.assigned < 30 and len(plan.unassigned) == 30 - plan.assigned
    assert violations(plan, doctors, stops) == []


def test_HV_9_urgent_visits_are_kept_before_planned_ones_when_not_all_fit() -> None:
    doctors, stops = day(20, 1, seed=11, windowed=0.0)
    urgent = [Stop(s.id, s.lon, s.lat, s.service_s, None, urgent=True) for s in stops[:3]]
    plan = solve(doctors, urgent + stops[3:], speed_kmh=SPEED_KMH)
    routed = {s.visit_id for r in plan.routes for s in r.stops}
    assert {s.id for s in urgent} <= routed
    assert plan.unassigned  # not everything fits one shift


def test_HV_3_an_agreed_interval_out_of_every_shift_is_not_assigned() -> None:
    doctors, _ = day(0, 1, seed=1)
    late = Stop(uuid4(), 37.6, 55.7, SERVICE_S, (20 * H, 21 * H))
    plan = solve(doctors, [late], speed_kmh=SPEED_KMH)
    assert plan.unassigned == (late.id,)


def test_HV_9_running_plan_doctor_starts_where_they_are_and_not_before_now() -> None:
    now_s = 12 * H
    at_visit = (37.75, 55.70)
    doctor = Doctor(uuid4(), at_visit, ARBAT, (now_s, 16 * H))
    stops = [Stop(uuid4(), 37.74, 55.71, SERVICE_S), Stop(uuid4(), 37.50, 55.80, SERVICE_S, urgent=True)]
    plan = solve([doctor], stops, speed_kmh=SPEED_KMH)
    assert violations(plan, [doctor], stops) == []
    assert all(s.begin_s >= now_s for r in plan.routes for s in r.stops)


def test_HV_9_no_doctors_or_no_visits() -> None:
    doctors, stops = day(3, 0, seed=1)
    assert set(solve([], stops, speed_kmh=SPEED_KMH).unassigned) == {s.id for s in stops}
    doctors, _ = day(0, 2, seed=1)
    assert solve(doctors, [], speed_kmh=SPEED_KMH).distance_km == 0


def test_HV_9_baseline_is_valid_too_and_not_shorter_than_the_solver_here() -> None:
    doctors, stops = day(24, 3, seed=5, windowed=0.0)
    solved = solve(doctors, stops, speed_kmh=SPEED_KMH)
    baseline = nearest_neighbour(doctors, stops, speed_kmh=SPEED_KMH)
    assert assigned_once(baseline, stops)
    assert violations(baseline, doctors, stops) == []
    assert solved.assigned >= baseline.assigned
    if solved.assigned == baseline.assigned:
        assert solved.distance_km <= baseline.distance_km * 1.001
