"""Dispatch (HV-9): assign a branch's visits of one day to its home-care doctors on shift and order
each doctor's route, as plain Python.

The routes are solved as a vehicle-routing problem with time windows by VROOM (`pyvroom`):
each doctor is a vehicle that leaves from where they are (the branch, or the address of the visit
they are at) no earlier than their shift starts and is back at the branch by its end; each visit is
a job with the visit's service time and, for a program address, its agreed interval as the window
in which the visit must begin (HV-3, HV-8). Urgent visits get the highest priority, so the solver
drops a planned visit before an urgent one when not everything fits (HV-2: served at once).

Travel: the geodesic distance between the two points (WGS 84) at a constant `speed_kmh`, the
documented city speed (settings `HOME_VISITS_TRAVEL_SPEED_KMH`). Times are seconds from the local
midnight of the plan's day. `nearest_neighbour` is the baseline the benchmark compares with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import numpy as np
import vroom  # type: ignore[import-untyped]  # no stubs
from numpy.typing import NDArray

from home_visits.zone.geo import distance_matrix_km

URGENT_PRIORITY = 100
EXPLORATION_LEVEL = 5  # VROOM's most thorough search; a branch's day solves in well under a second


@dataclass(frozen=True, slots=True)
class Stop:
    """A visit to route. `window` (start, end) bounds when the visit may begin, in seconds."""

    id: UUID
    lon: float
    lat: float
    service_s: int
    window: tuple[int, int] | None = None
    urgent: bool = False


@dataclass(frozen=True, slots=True)
class Doctor:
    """A home-care doctor on shift: from `start` no earlier than `window[0]`, back at `end` by `window[1]`."""

    id: UUID
    start: tuple[float, float]  # (lon, lat)
    end: tuple[float, float]
    window: tuple[int, int]


@dataclass(frozen=True, slots=True)
class RoutedStop:
    visit_id: UUID
    position: int  # 1-based within the doctor's route
    arrival_s: int
    begin_s: int  # the visit begins: arrival, or the window's start when the doctor is early
    leg_km: float


@dataclass(frozen=True, slots=True)
class Route:
    doctor_id: UUID
    stops: tuple[RoutedStop, ...]
    distance_km: float  # including the way back to the branch
    travel_s: int


@dataclass(frozen=True, slots=True)
class Plan:
    routes: tuple[Route, ...]
    unassigned: tuple[UUID, ...]

    @property
    def distance_km(self) -> float:
        return sum(r.distance_km for r in self.routes)

    @property
    def assigned(self) -> int:
        return sum(len(r.stops) for r in self.routes)


class Problem:
    """The points and their travel times, shared by the solver and the baseline."""

    def __init__(self, doctors: Sequence[Doctor], stops: Sequence[Stop], speed_kmh: float) -> None:
        if speed_kmh <= 0:
            raise ValueError("speed_kmh must be positive")
        self.doctors = list(doctors)
        self.stops = list(stops)
        points = [d.start for d in doctors] + [d.end for d in doctors] + [(s.lon, s.lat) for s in stops]
        self.km: NDArray[np.float64] = distance_matrix_km(points)
        self.seconds: NDArray[np.int64] = np.rint(self.km / speed_kmh * 3600.0).astype(np.int64)
        self.n_doctors = len(doctors)

    def start_of(self, d: int) -> int:
        return d

    def end_of(self, d: int) -> int:
        return self.n_doctors + d

    def stop_at(self, s: int) -> int:
        return 2 * self.n_doctors + s

    def route(self, d: int, order: Sequence[int]) -> Route:
        """Times and distances of doctor `d` visiting stops in `order` (indices into `stops`)."""
        doctor = self.doctors[d]
        here, t, km, travel = self.start_of(d), doctor.window[0], 0.0, 0
        routed = []
        for position, s in enumerate(order, start=1):
            stop = self.stops[s]
            there = self.stop_at(s)
            leg_s = int(self.seconds[here, there])
            arrival = t + leg_s
            begin = max(arrival, stop.window[0]) if stop.window else arrival
            routed.append(
                RoutedStop(stop.id, position, arrival, begin, round(float(self.km[here, there]), 3))
            )
            km += float(self.km[here, there])
            travel += leg_s
            t, here = begin + stop.service_s, there
        km += float(self.km[here, self.end_of(d)])
        travel += int(self.seconds[here, self.end_of(d)])
        return Route(doctor.id, tuple(routed), round(km, 3), travel)


def solve(
    doctors: Sequence[Doctor],
    stops: Sequence[Stop],
    *,
    speed_kmh: float,
    threads: int = 1,
    exploration_level: int = EXPLORATION_LEVEL,
) -> Plan:
    """HV-9: every visit to at most one doctor, each route within its shift and the visits' windows;
    visits that fit nowhere are returned as unassigned (they stay scheduled)."""
    if not stops:
        return Plan(tuple(Route(d.id, (), 0.0, 0) for d in doctors), ())
    if not doctors:
        return Plan((), tuple(s.id for s in stops))
    problem = Problem(doctors, stops, speed_kmh)
    vrp = vroom.Input()
    vrp.set_durations_matrix(profile="car", matrix_input=problem.seconds.tolist())
    vrp.set_distances_matrix(profile="car", matrix_input=np.rint(problem.km * 1000).astype(np.int64).tolist())
    vrp.add_vehicle(
        [
            vroom.Vehicle(
                d,
                start=problem.start_of(d),
                end=problem.end_of(d),
                time_window=vroom.TimeWindow(doctor.window[0], doctor.window[1]),
            )
            for d, doctor in enumerate(doctors)
        ]
    )
    vrp.add_job(
        [
            vroom.Job(
                s,
                location=problem.stop_at(s),
                default_service=stop.service_s,
                priority=URGENT_PRIORITY if stop.urgent else 0,
                time_windows=[vroom.TimeWindow(*stop.window)] if stop.window else (),
            )
            for s, stop in enumerate(stops)
        ]
    )
    solution: dict[str, Any] = vrp.solve(exploration_level=exploration_level, nb_threads=threads).to_dict()
    orders: dict[int, list[int]] = {d: [] for d in range(len(doctors))}
    for route in solution.get("routes", []):
        orders[int(route["vehicle"])] = [int(step["job"]) for step in route["steps"] if step["type"] == "job"]
    assigned = {s for order in orders.values() for s in order}
    return Plan(
        tuple(problem.route(d, orders[d]) for d in range(len(doctors))),
        tuple(stop.id for s, stop in enumerate(stops) if s not in assigned),
    )


def nearest_neighbour(doctors: Sequence[Doctor], stops: Sequence[Stop], *, speed_kmh: float) -> Plan:
    """The baseline: doctor after doctor, always drive to the nearest visit that still fits the
    doctor's shift and the visit's window, until none does."""
    if not stops or not doctors:
        return Plan(tuple(Route(d.id, (), 0.0, 0) for d in doctors), tuple(s.id for s in stops))
    problem = Problem(doctors, stops, speed_kmh)
    left = set(range(len(stops)))
    orders: list[list[int]] = []
    for d, doctor in enumerate(doctors):
        here, t, order = problem.start_of(d), doctor.window[0], []
        while True:
            best: tuple[float, int, int] | None = None
            for s in left:
                stop = stops[s]
                there = problem.stop_at(s)
                arrival = t + int(problem.seconds[here, there])
                begin = max(arrival, stop.window[0]) if stop.window else arrival
                if stop.window and begin > stop.window[1]:
                    continue
                back = begin + stop.service_s + int(problem.seconds[there, problem.end_of(d)])
                if back > doctor.window[1]:
                    continue
                key = (float(problem.km[here, there]), s, begin)
                if best is None or key < best:
                    best = key
            if best is None:
                break
            _, s, begin = best
            order.append(s)
            left.discard(s)
            here, t = problem.stop_at(s), begin + stops[s].service_s
        orders.append(order)
    return Plan(
        tuple(problem.route(d, orders[d]) for d in range(len(doctors))),
        tuple(stops[s].id for s in sorted(left)),
    )
