"""Back-off of the runner's restarts, on a fake clock and fake processes (no real time passes)."""

from __future__ import annotations

from dataclasses import dataclass, field

from clinic_devstack.supervise import Backoff, Supervisor, describe_exit


def test_backoff_doubles_up_to_its_cap_and_resets_after_a_stable_run() -> None:
    backoff = Backoff(initial=1, cap=8, stable_after=30)
    assert [backoff.next_delay() for _ in range(6)] == [1, 2, 4, 8, 8, 8]
    backoff.ran_for(29)
    assert backoff.next_delay() == 8
    backoff.ran_for(30)
    assert backoff.next_delay() == 1


@dataclass
class FakeUnit:
    name: str
    up: bool = True
    fail_next_starts: int = 0
    starts: list[float] = field(default_factory=list)
    clock: list[float] = field(default_factory=lambda: [0.0])

    def alive(self) -> bool:
        return self.up

    def exit_detail(self) -> str:
        return "was killed by SIGKILL"

    def restart(self) -> str:
        self.starts.append(self.clock[0])
        if self.fail_next_starts:
            self.fail_next_starts -= 1
            raise RuntimeError("port still busy")
        self.up = True
        return "pid 42"


def run_for(supervisor: Supervisor, clock: list[float], seconds: float, step: float = 0.25) -> None:
    end = clock[0] + seconds
    while clock[0] < end:
        supervisor.tick()
        clock[0] += step


def test_a_dead_unit_is_restarted_after_growing_delays_and_others_are_left_alone() -> None:
    clock = [0.0]
    said: list[str] = []
    crashing = FakeUnit("billing", clock=clock)
    steady = FakeUnit("NATS", clock=clock)
    supervisor = Supervisor([crashing, steady], said.append, clock=lambda: clock[0])

    run_for(supervisor, clock, 5)
    crashing.up = False
    run_for(supervisor, clock, 1.5)
    assert crashing.starts == [6.0]  # died at 5, restarted 1 s later
    assert said == [
        "billing was killed by SIGKILL after 5 s; restarting in 1 s (restart 1)",
        "billing restarted (pid 42)",
    ]

    crashing.up = False  # dies again at once, and its next start fails too
    crashing.fail_next_starts = 1
    run_for(supervisor, clock, 10)
    assert crashing.starts == [6.0, 8.5, 12.75]  # waits of 2 s, then 4 s after the failed start
    assert "billing did not start again: port still busy" in said
    assert "restarting in 4 s (restart 3)" in said[-2]
    assert supervisor.restarts("billing") == 3 and supervisor.restarts("NATS") == 0
    assert steady.starts == []


def test_the_delay_resets_once_a_restarted_unit_stayed_up() -> None:
    clock = [0.0]
    said: list[str] = []
    unit = FakeUnit("records", clock=clock)
    supervisor = Supervisor(
        [unit], said.append, backoff=lambda: Backoff(stable_after=10), clock=lambda: clock[0]
    )
    for _ in range(3):
        unit.up = False
        run_for(supervisor, clock, 5)
    assert [line for line in said if "restarting in" in line][-1].endswith("restarting in 4 s (restart 3)")
    run_for(supervisor, clock, 12)  # stays up longer than stable_after
    unit.up = False
    run_for(supervisor, clock, 2)
    assert [line for line in said if "restarting in" in line][-1].endswith("restarting in 1 s (restart 4)")


def test_exit_descriptions() -> None:
    assert describe_exit(3) == "exited with code 3"
    assert describe_exit(-9) == "was killed by SIGKILL"
    assert describe_exit(None) == "stopped"
