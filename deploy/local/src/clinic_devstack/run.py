"""`make run`: PostgreSQL, NATS, migrations, demo data and the four services, stopped cleanly on Ctrl-C.

Once up, a process that dies (a service, NATS, PostgreSQL) is restarted with back-off and the
runner says so (see `supervise`); only Ctrl-C or SIGTERM stops the stack. Every process the
runner starts is recorded in `.data/run/stack.json`, so `clinic-devstack stop` can clean up
after a runner that was killed (PostgreSQL and NATS detach and would survive it).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any, TextIO
from urllib.parse import urlsplit, urlunsplit

from clinic_devstack.config import SERVICES, ServiceSpec, prepare_clock_file, service_dir
from clinic_devstack.nats import EmbeddedNats
from clinic_devstack.ports import port_is_free
from clinic_devstack.postgres import EmbeddedPostgres, ExternalPostgres, PgError, PgServer
from clinic_devstack.procs import Child, Output, process_cmdline, stop_children, terminate_pid, terminate_pids
from clinic_devstack.supervise import Backoff, NatsUnit, PostgresUnit, ServiceUnit, Supervisor, Unit
from clinic_devstack.tokens import DEV_ISSUER, demo_org_id, ensure_keypair, issue_token

STATE_FILE = Path("run") / "stack.json"
REQUIRED_EXTENSION = "btree_gist"
_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class StackError(RuntimeError):
    """Start-up or run failure with a message meant for the person at the terminal."""


class _Interrupted(BaseException):
    """Raised from the signal handler so that whatever the runner waits on is abandoned."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class StackState:
    """The pid file of a running stack (`.data/run/stack.json`)."""

    def __init__(self, data: Path) -> None:
        self.path = data / STATE_FILE
        self.content: dict[str, Any] = {"supervisor_pid": os.getpid(), "children": {}}

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.content, indent=2))
        tmp.replace(self.path)

    def add_child(self, label: str, pid: int, marker: str) -> None:
        self.content["children"][label] = {"pid": pid, "marker": marker}
        self.save()

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)

    @staticmethod
    def load(data: Path) -> dict[str, Any] | None:
        try:
            loaded = json.loads((data / STATE_FILE).read_text())
        except (OSError, ValueError):
            return None
        return loaded if isinstance(loaded, dict) else None


def _is_supervisor(pid: int) -> bool:
    joined = " ".join(process_cmdline(pid))
    return pid != os.getpid() and ("clinic-devstack" in joined or "clinic_devstack" in joined)


def running_supervisor(data: Path) -> int | None:
    """Pid of a live runner using `data`, if any."""
    state = StackState.load(data) or {}
    pid = state.get("supervisor_pid")
    return pid if isinstance(pid, int) and _is_supervisor(pid) else None


def stop_leftovers(data: Path, say: Output) -> list[str]:
    """Stop what a runner using `data` left behind (or ask a live runner to stop); return what stopped."""
    stopped: list[str] = []
    state = StackState.load(data) or {}
    supervisor = running_supervisor(data)
    if supervisor is not None:
        say.line(f"asking the running stack (pid {supervisor}) to stop ...")
        terminate_pid(supervisor, group=False, grace=60)
        stopped.append(f"runner {supervisor}")
    targets: list[tuple[int, bool]] = []
    for label, info in dict(state.get("children", {})).items():
        pid, marker = int(info["pid"]), str(info["marker"])
        if marker in " ".join(process_cmdline(pid)):
            targets.append((pid, True))
            stopped.append(f"{label} {pid}")
    terminate_pids(targets, grace=10)
    nats_dir = Path(state.get("nats_store_dir") or data / "nats")
    with contextlib.suppress(OSError, ValueError):
        pid = int((nats_dir / "nats-server.pid").read_text().strip())
        argv = process_cmdline(pid)
        if argv and Path(argv[0]).name == "nats-server" and str(nats_dir.absolute()) in argv:
            terminate_pid(pid, group=False, grace=10)
            stopped.append(f"nats-server {pid}")
    pg = EmbeddedPostgres(Path(state.get("pg_home") or data / "pg"))
    if pg.is_running():
        pg.stop()
        stopped.append(f"postgres {pg.data_dir}")
    (data / STATE_FILE).unlink(missing_ok=True)
    return stopped


def redact(url: str) -> str:
    """The URL without its password, for printing."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own http URL
            return int(response.status) == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


class Stack:
    """The local stack: start in order, watch, stop in reverse order."""

    def __init__(
        self,
        *,
        root: Path,
        data: Path,
        services: Sequence[ServiceSpec] = SERVICES,
        env: Mapping[str, str] | None = None,
        stream: TextIO | None = None,
        ready_timeout: float = 90.0,
        python: str = sys.executable,
        backoff: Callable[[], Backoff] = Backoff,
    ) -> None:
        self.root = root
        self.data = data
        self.services = tuple(services)
        self.env = dict(os.environ if env is None else env)
        self.out = Output(stream or sys.stdout)
        self.ready_timeout = ready_timeout
        self.python = python
        self.backoff = backoff
        self.state = StackState(data)
        self.pg: PgServer | None = None
        self.embedded_pg: EmbeddedPostgres | None = None
        self.nats: EmbeddedNats | None = None
        self.nats_url = ""
        self.common_env: dict[str, str] = {}
        self.children: dict[str, Child] = {}
        self.steps: list[Child] = []
        self.private_key: Path | None = None
        self.clock_offset = 0.0
        self._stopping = False
        self._deferring = False
        self._pending_signal: int | None = None
        self._awaiting_ready: dict[str, ServiceSpec] = {}

    # -- entry point -----------------------------------------------------------------------

    def run(self) -> int:
        """Start everything, print where it is, wait for Ctrl-C or a failure, stop everything."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in _SIGNALS}
        code = 0
        try:
            self.up()
            self.banner()
            code = self.watch()
        except _Interrupted as interrupted:
            self.out.line(f"\nreceived {signal.Signals(interrupted.signum).name}: stopping the stack ...")
        except StackError as exc:
            self.out.line(f"\nERROR: {exc}")
            code = 1
        finally:
            self._stopping = True
            self.down()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return code

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self._stopping:
            return
        if self._deferring:
            self._pending_signal = signum
            return
        raise _Interrupted(signum)

    @contextlib.contextmanager
    def _signals_deferred(self) -> Iterator[None]:
        """Hold Ctrl-C/SIGTERM while a child starts, so it is always recorded before we unwind.

        (Not pthread_sigmask: children would inherit the blocked mask and ignore SIGTERM.)
        """
        self._deferring = True
        try:
            yield
        finally:
            self._deferring = False
        if self._pending_signal is not None and not self._stopping:
            raise _Interrupted(self._pending_signal)

    # -- start -----------------------------------------------------------------------------

    def up(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        other = running_supervisor(self.data)
        if other is not None:
            raise StackError(
                f"a stack already runs on {self.data} (pid {other}); `clinic-devstack stop` ends it"
            )
        leftovers = stop_leftovers(self.data, self.out)
        if leftovers:
            self.out.line("stopped leftovers of an earlier run: " + ", ".join(leftovers))
        self.state.save()

        clock_file = self.data / "clock.json"
        try:
            self.clock_offset = prepare_clock_file(clock_file, self.env)
        except ValueError as exc:
            raise StackError(str(exc)) from exc
        self.private_key, public_key = self._keys()
        self._check_packages()

        self._start_postgres()
        self._start_nats()
        self.common_env = {
            **self.env,
            "CLINIC_CLOCK_FILE": str(clock_file.absolute()),
            "CLINIC_ENV": "development",
            "CLINIC_JWT_PUBLIC_KEY_FILE": str(public_key.absolute()),
            "CLINIC_JWT_ISSUER": DEV_ISSUER,
            "CLINIC_NATS_URL": self.nats_url,
            "PYTHONUNBUFFERED": "1",
        }
        self._create_databases()
        self._run_steps("migrate")
        self._run_steps("seed")
        self._start_services()
        self._wait_ready()

    def _keys(self) -> tuple[Path, Path]:
        try:
            return ensure_keypair(self.data / "keys")
        except ImportError as exc:
            raise StackError(f"clinic_common.auth.dev is not available: {exc}") from exc

    def _start_postgres(self) -> None:
        server_url = self.env.get("DATABASE_URL", "").strip()
        if server_url:
            self.pg = ExternalPostgres(server_url)
            self.out.line(f"using PostgreSQL from DATABASE_URL ({redact(server_url)})")
            return
        pg = EmbeddedPostgres(self.data / "pg")
        self.embedded_pg = self.pg = pg
        self.state.content["pg_home"] = str(pg.home)
        self.state.content["pg_data_dir"] = str(pg.data_dir)
        self.state.save()
        self.out.line(f"starting PostgreSQL on port {pg.port}, {pg.describe()} ...")
        try:
            pg.start()
        except Exception as exc:
            raise StackError(f"PostgreSQL did not start: {exc}") from exc

    def _start_nats(self) -> None:
        url = self.env.get("NATS_URL", "").strip()
        if url:
            self.nats_url = url
            self.out.line(f"using NATS from NATS_URL ({url})")
            return
        nats = EmbeddedNats(self.data / "nats")
        self.nats = nats
        self.nats_url = nats.url
        self.state.content["nats_store_dir"] = str(nats.store_dir)
        self.state.save()
        self.out.line(f"starting NATS (JetStream) in {nats.store_dir} on port {nats.port} ...")
        try:
            nats.start()
        except Exception as exc:
            raise StackError(f"NATS did not start: {exc}") from exc

    def _check_packages(self) -> None:
        missing = [s for s in self.services if importlib.util.find_spec(s.package) is None]
        if missing:
            hint = " ".join(f"-e services/{s.name}" for s in missing)
            names = ", ".join(s.package for s in missing)
            raise StackError(f"service packages not installed: {names} (pip install {hint})")

    def _create_databases(self) -> None:
        pg = self._pg()
        try:
            if not pg.extension_available(REQUIRED_EXTENSION):
                raise StackError(f"PostgreSQL has no {REQUIRED_EXTENSION} extension; the services need it")
            for spec in self.services:
                if not pg.database_exists(spec.database):
                    self.out.line(f"creating database {spec.database}")
                    pg.create_database(spec.database)
        except PgError as exc:
            raise StackError(f"could not prepare the databases: {exc}") from exc

    def _service_env(self, spec: ServiceSpec) -> dict[str, str]:
        return {
            **self.common_env,
            spec.env_prefix + "DATABASE_URL": self._pg().url(spec.database),
            spec.env_prefix + "PORT": str(spec.port(self.env)),
        }

    def _spawn(self, label: str, spec: ServiceSpec, cmd: list[str], marker: str, color: int) -> Child:
        with self._signals_deferred():
            child = Child(
                label,
                cmd,
                env=self._service_env(spec),
                cwd=service_dir(self.root, spec),
                output=self.out,
                color=color,
            )
            self.state.add_child(label, child.pid, marker)
        return child

    def _run_steps(self, step: str) -> None:
        """`python -m <pkg>.cli <step>` for every service, in parallel, each must succeed."""
        self.steps = [
            self._spawn(
                f"{spec.name} {step}",
                spec,
                [self.python, "-m", f"{spec.package}.cli", step],
                f"{spec.package}.cli",
                index,
            )
            for index, spec in enumerate(self.services)
        ]
        failed = [(child, child.wait()) for child in self.steps]
        self.steps = []
        bad = [(child, code) for child, code in failed if code != 0]
        if bad:
            child, code = bad[0]
            raise StackError(f"`{child.name}` failed with exit code {code}; last lines:\n{child.tail()}")

    def _start_services(self) -> None:
        busy = [(s, s.port(self.env)) for s in self.services if not port_is_free(s.port(self.env))]
        if busy:
            detail = ", ".join(f"{s.name} {p} (set {s.env_prefix}PORT)" for s, p in busy)
            raise StackError(f"ports already in use: {detail}")
        for index, spec in enumerate(self.services):
            self._start_service(index, spec)

    def _start_service(self, index: int, spec: ServiceSpec) -> Child:
        """uvicorn for one service; also how a dead service is started again (same env and port)."""
        cmd = [
            self.python,
            "-m",
            "uvicorn",
            f"{spec.package}.main:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(spec.port(self.env)),
        ]
        child = self._spawn(spec.name, spec, cmd, "uvicorn", index)
        self.children[spec.name] = child
        return child

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        pending = {spec.name: spec for spec in self.services}
        while pending:
            for name, spec in list(pending.items()):
                child = self.children[name]
                code = child.poll()
                if code is not None:
                    raise StackError(
                        f"{name} exited with code {code} while starting; last lines:\n{child.tail()}"
                    )
                if _http_ok(f"http://127.0.0.1:{spec.port(self.env)}/readyz"):
                    self.out.line(f"{name} is ready")
                    del pending[name]
            if pending and time.monotonic() > deadline:
                name = next(iter(pending))
                raise StackError(
                    f"{name} not ready after {self.ready_timeout:.0f} s (GET /readyz never answered 200); "
                    f"last lines:\n{self.children[name].tail()}"
                )
            time.sleep(0.3)

    # -- report and watch ------------------------------------------------------------------

    def banner(self) -> None:
        lines = ["", "=" * 78, f"Clinic stack is ready.  Data: {self.data}", ""]
        for spec in self.services:
            base = f"http://127.0.0.1:{spec.port(self.env)}"
            lines.append(f"  {spec.name:<12} {base:<24} docs {base}/docs")
        kind = "embedded" if self.embedded_pg is not None else "DATABASE_URL"
        lines.append(f"  {'PostgreSQL':<12} {redact(self._pg().url('postgres'))}  ({kind})")
        if self.embedded_pg is not None:
            lines.append(f"  {'':<12} {self.embedded_pg.describe()}")
        lines.append(f"  {'NATS':<12} {self.nats_url}  ({'embedded' if self.nats else 'NATS_URL'})")
        now = datetime.now(UTC) + timedelta(seconds=self.clock_offset)
        lines.append(f"  {'clock':<12} offset {self.clock_offset:+.0f} s, business now {now.isoformat()}")
        lines += ["", *self._token_lines(), "", "Press Ctrl-C to stop.", "=" * 78]
        for line in lines:
            self.out.line(line)

    def _token_lines(self) -> list[str]:
        org = demo_org_id("almaty")
        if org is None or self.private_key is None:
            return [
                "  no token printed: clinic_common.demo is not available;",
                "  get one with `make token ROLE=registrar ORG=<organization id>`",
            ]
        try:
            token = issue_token(self.private_key, role="registrar", org=org)
        except Exception as exc:
            return [f"  no token printed: {exc}"]
        return [f"  registrar token for the Almaty demo org ({org}), 12 h:", token]

    def units(self) -> list[Unit]:
        """What `watch` restarts: each service, and NATS and PostgreSQL when embedded."""
        units: list[Unit] = []
        for index, spec in enumerate(self.services):
            units.append(
                ServiceUnit(
                    spec.name,
                    current=functools.partial(self.children.__getitem__, spec.name),
                    respawn=functools.partial(self._respawn_service, index, spec),
                )
            )
        if self.nats is not None:
            units.append(NatsUnit(self.nats))
        if self.embedded_pg is not None:
            units.append(PostgresUnit(self.embedded_pg))
        return units

    def _respawn_service(self, index: int, spec: ServiceSpec) -> Child:
        child = self._start_service(index, spec)
        self._awaiting_ready[spec.name] = spec
        return child

    def watch(self) -> int:
        """Restart whatever dies, with back-off, until Ctrl-C/SIGTERM (which arrives as _Interrupted)."""
        supervisor = Supervisor(self.units(), self._say, backoff=self.backoff)
        while True:
            supervisor.tick()
            for name, spec in list(self._awaiting_ready.items()):
                if self.children[name].poll() is None and _http_ok(
                    f"http://127.0.0.1:{spec.port(self.env)}/readyz"
                ):
                    self._say(f"{name} is ready again")
                    del self._awaiting_ready[name]
            time.sleep(0.2)

    def _say(self, text: str) -> None:
        self.out.line(f"{'supervisor':<12} | {text}")

    # -- stop ------------------------------------------------------------------------------

    def down(self) -> None:
        """Services first (SIGTERM, SIGKILL after 10 s), then NATS, then PostgreSQL; never raises."""
        self._stopping = True
        running = [*self.children.values(), *self.steps]
        if running:
            self.out.line("stopping services ...")
            with contextlib.suppress(Exception):
                stop_children(running, grace=10.0)
        if self.nats is not None:
            self.out.line("stopping NATS ...")
            try:
                self.nats.stop()
            except Exception as exc:
                self.out.line(f"could not stop NATS: {exc}")
        if self.embedded_pg is not None:
            self.out.line("stopping PostgreSQL ...")
            try:
                self.embedded_pg.stop()
            except Exception as exc:
                self.out.line(f"could not stop PostgreSQL: {exc}")
        self.state.remove()
        self.out.line("stack stopped.")

    def _pg(self) -> PgServer:
        if self.pg is None:
            raise StackError("PostgreSQL is not started")
        return self.pg
