"""Restarts under `make run`: a process that dies is started again with back-off, as an
orchestrator would (Kubernetes' CrashLoopBackOff, compose's `restart: always`), so one crash does
not take the whole stack down; only Ctrl-C stops everything.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from clinic_devstack.nats import EmbeddedNats
from clinic_devstack.postgres import EmbeddedPostgres
from clinic_devstack.procs import Child


@dataclass
class Backoff:
    """Delays 1 s, 2 s, 4 s ... up to `cap`; back to the first once a process ran `stable_after` s."""

    initial: float = 1.0
    cap: float = 30.0
    stable_after: float = 60.0
    failures: int = 0

    def next_delay(self) -> float:
        """The wait before the next restart; each call is one more failure."""
        delay = min(self.cap, self.initial * 2.0**self.failures)
        self.failures += 1
        return delay

    def ran_for(self, seconds: float) -> None:
        """Forget earlier failures once the process has stayed up long enough."""
        if seconds >= self.stable_after:
            self.failures = 0


class Unit(Protocol):
    """One supervised process: the runner knows how to tell it is alive and how to start it again."""

    @property
    def name(self) -> str: ...

    def alive(self) -> bool: ...

    def exit_detail(self) -> str:
        """How it ended (`exited with code 3`, `was killed by SIGKILL`), for the message."""
        ...

    def restart(self) -> str:
        """Start it again as before (same env, port, data); return what to print (pid, address)."""
        ...


@dataclass
class _Watched:
    unit: Unit
    backoff: Backoff
    started_at: float
    restart_at: float | None = None
    restarts: int = field(default=0)


class Supervisor:
    """Polls the units; restarts a dead one after its back-off delay and says so through `say`."""

    def __init__(
        self,
        units: Sequence[Unit],
        say: Callable[[str], None],
        *,
        backoff: Callable[[], Backoff] = Backoff,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._say = say
        self._clock = clock
        now = clock()
        self._watched = [_Watched(unit, backoff(), now) for unit in units]

    def restarts(self, name: str) -> int:
        """How many times `name` died and was (or is about to be) restarted."""
        return next(w.restarts for w in self._watched if w.unit.name == name)

    def tick(self) -> None:
        """One pass over every unit: notice deaths, schedule and perform restarts."""
        for watched in self._watched:
            now = self._clock()
            unit = watched.unit
            if watched.restart_at is None:
                uptime = now - watched.started_at
                watched.backoff.ran_for(uptime)
                if unit.alive():
                    continue
                delay = watched.backoff.next_delay()
                watched.restarts += 1
                watched.restart_at = now + delay
                self._say(
                    f"{unit.name} {unit.exit_detail()} after {uptime:.0f} s; "
                    f"restarting in {delay:g} s (restart {watched.restarts})"
                )
            elif now >= watched.restart_at:
                watched.restart_at = None
                try:
                    what = unit.restart()
                except Exception as exc:  # any failure to start is retried with back-off
                    self._say(f"{unit.name} did not start again: {exc}")
                else:
                    self._say(f"{unit.name} restarted ({what})")
                watched.started_at = self._clock()


def describe_exit(code: int | None) -> str:
    """`exited with code 3`, or `was killed by SIGKILL` for a negative Popen return code."""
    if code is None:
        return "stopped"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


class ServiceUnit:
    """A service: the runner's Child, started again by `respawn` with the same command and env."""

    def __init__(self, name: str, current: Callable[[], Child], respawn: Callable[[], Child]) -> None:
        self._name = name
        self._current = current
        self._respawn = respawn

    @property
    def name(self) -> str:
        return self._name

    def alive(self) -> bool:
        return self._current().poll() is None

    def exit_detail(self) -> str:
        return describe_exit(self._current().poll())

    def restart(self) -> str:
        old = self._current()
        old.signal_group(signal.SIGKILL)  # whatever it started in its group goes with it
        old.wait()
        return f"pid {self._respawn().pid}"


class NatsUnit:
    """The embedded nats-server, started again on the same port and JetStream store."""

    name = "NATS"

    def __init__(self, nats: EmbeddedNats) -> None:
        self.nats = nats

    def alive(self) -> bool:
        return self.nats.is_running()

    def exit_detail(self) -> str:
        return describe_exit(self.nats.returncode)

    def restart(self) -> str:
        self.nats.start()
        return f"pid {self.nats.pid}, {self.nats.url}, store {self.nats.store_dir}"


class PostgresUnit:
    """The embedded PostgreSQL, started again on the same port and data (crash recovery included)."""

    name = "PostgreSQL"

    def __init__(self, pg: EmbeddedPostgres) -> None:
        self.pg = pg

    def alive(self) -> bool:
        return self.pg.is_running()

    def exit_detail(self) -> str:
        return f"stopped (log: {self.pg.log_path})"

    def restart(self) -> str:
        self.pg.start()
        return f"pid {self.pg.pid}, port {self.pg.port}, data in {self.pg.data_dir}"
