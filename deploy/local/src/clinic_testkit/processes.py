"""Real processes for fault tests: the services as uvicorn subprocesses, dedicated PostgreSQL servers.

A service runs as `make run` starts it (`python -m uvicorn <pkg>.main:create_app --factory`, in
its own session, with the environment the dev stack gives it, CLINIC_ENV=test) against databases
and a NATS server the test chooses, and can be SIGKILLed like a crashed pod. Its output goes to a
log file whose tail is shown when it fails to start.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from clinic_devstack.config import service_dir, service_spec
from clinic_devstack.ports import free_port
from clinic_devstack.postgres import EmbeddedPostgres
from clinic_devstack.tokens import DEV_ISSUER


def settings_env(settings_class: Any, values: Mapping[str, Any], prefix: str) -> dict[str, str]:
    """Environment variables that make `settings_class` read `values` (JSON for lists)."""
    env: dict[str, str] = {}
    for name, value in values.items():
        info = settings_class.model_fields[name]
        alias = info.validation_alias
        choices = getattr(alias, "choices", None)
        key = str(choices[0]) if choices else prefix + name.upper()
        env[key] = json.dumps(value) if isinstance(value, list | dict) else str(value)
    return env


class ServiceProcess:
    """One service process on 127.0.0.1:`port`; start, wait until ready, kill, read its state."""

    def __init__(self, label: str, app: str, *, env: Mapping[str, str], cwd: Path, log_path: Path, port: int):
        self.label = label
        self.app = app
        self.env = dict(env)
        self.cwd = cwd
        self.log_path = log_path
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def start(self) -> None:
        cmd = [sys.executable, "-m", "uvicorn", self.app, "--factory", "--host", "127.0.0.1"]
        cmd += ["--port", str(self.port), "--log-level", "warning"]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"--- start {' '.join(cmd)}\n".encode())
            self.proc = subprocess.Popen(
                cmd,
                env=self.env,
                cwd=str(self.cwd),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def is_alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the process and its group, as a crash would."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self.kills += 1

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM (a clean shutdown), SIGKILL after `grace` seconds."""
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    async def wait_ready(self, timeout: float = 60.0) -> None:  # noqa: ASYNC109 - a polling deadline
        """Poll `/readyz` until it answers 200; fail with the log's tail if the process exits."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.url, timeout=2.0) as client:
            while True:
                if not self.is_alive():
                    raise RuntimeError(f"{self.label} exited while starting:\n{self.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/readyz")).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.label} not ready after {timeout} s:\n{self.log_tail()}")
                await asyncio.sleep(0.1)

    async def get(self, path: str) -> Any:
        async with httpx.AsyncClient(base_url=self.url, timeout=5.0) as client:
            r = await client.get(path)
        r.raise_for_status()
        return r.json()

    async def health(self) -> dict[str, Any]:
        body: dict[str, Any] = await self.get("/healthz")
        return body

    async def metrics(self) -> dict[str, float]:
        """`/metrics` as {"name{label=value,...}": value}, labels sorted."""
        async with httpx.AsyncClient(base_url=self.url, timeout=5.0) as client:
            r = await client.get("/metrics")
        r.raise_for_status()
        out: dict[str, float] = {}
        for family in text_string_to_metric_families(r.text):
            for sample in family.samples:
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                out[f"{sample.name}{{{labels}}}"] = sample.value
        return out

    async def metric_sum(self, name: str, **labels: str) -> float:
        """Sum of the samples of `name` whose labels include `labels`."""
        total = 0.0
        wanted = [f"{k}={v}" for k, v in labels.items()]
        for key, value in (await self.metrics()).items():
            metric, _, rest = key.partition("{")
            if metric == name and all(w in rest.rstrip("}").split(",") for w in wanted):
                total += value
        return total


class ServiceProcesses:
    """Starts service processes for one test (env like the dev stack's) and kills them after."""

    def __init__(
        self, base_dir: Path, *, root: Path, public_key: Path, clock_file: Path, defaults: Mapping[str, Any]
    ) -> None:
        self.base_dir = base_dir
        self.root = root
        self.public_key = public_key
        self.clock_file = clock_file
        self.defaults = dict(defaults)
        self.started: list[ServiceProcess] = []

    def common_env(self, nats_url: str) -> dict[str, str]:
        """What `make run` gives every service (clinic_devstack.run), with CLINIC_ENV=test."""
        return {
            **os.environ,
            "CLINIC_CLOCK_FILE": str(self.clock_file),
            "CLINIC_ENV": "test",
            "CLINIC_JWT_PUBLIC_KEY_FILE": str(self.public_key),
            "CLINIC_JWT_ISSUER": DEV_ISSUER,
            "CLINIC_NATS_URL": nats_url,
            "PYTHONUNBUFFERED": "1",
        }

    def service(
        self, service: str, *, database_url: str, nats_url: str, label: str | None = None, **settings: Any
    ) -> ServiceProcess:
        """A process of one of the four services (not started yet)."""
        spec = service_spec(service)
        config = importlib.import_module(f"{spec.package}.config")
        return self._process(
            label or service,
            f"{spec.package}.main:create_app",
            config.Settings,
            spec.env_prefix,
            database_url=database_url,
            nats_url=nats_url,
            cwd=service_dir(self.root, spec),
            settings=settings,
        )

    def effects(
        self, *, database_url: str, nats_url: str, label: str = "effects", **settings: Any
    ) -> ServiceProcess:
        """A process of the append-only effects consumer (clinic_testkit.effects_service)."""
        from clinic_testkit import effects_service

        return self._process(
            label,
            "clinic_testkit.effects_service:create_app",
            effects_service.Settings,
            "EFFECTS_",
            database_url=database_url,
            nats_url=nats_url,
            cwd=self.root,
            settings=settings,
        )

    def _process(
        self,
        label: str,
        app: str,
        settings_class: Any,
        prefix: str,
        *,
        database_url: str,
        nats_url: str,
        cwd: Path,
        settings: Mapping[str, Any],
    ) -> ServiceProcess:
        port = free_port()
        values = {**self.defaults, **settings}
        env = {
            **self.common_env(nats_url),
            **settings_env(settings_class, values, prefix),
            prefix + "DATABASE_URL": database_url,
            prefix + "PORT": str(port),
        }
        log_path = self.base_dir / f"{label}-{uuid.uuid4().hex[:6]}.log"
        process = ServiceProcess(label, app, env=env, cwd=cwd, log_path=log_path, port=port)
        self.started.append(process)
        return process

    async def start(self, *processes: ServiceProcess, timeout: float = 60.0) -> None:  # noqa: ASYNC109
        """Start the processes together and wait until every one is ready."""
        for process in processes:
            process.start()
        await asyncio.gather(*(p.wait_ready(timeout) for p in processes))

    async def restart(self, process: ServiceProcess, timeout: float = 60.0) -> None:  # noqa: ASYNC109
        process.start()
        await process.wait_ready(timeout)

    def close(self) -> None:
        for process in self.started:
            with contextlib.suppress(Exception):
                process.kill()
        self.started.clear()


class DedicatedPostgres(EmbeddedPostgres):
    """An embedded PostgreSQL of one test, to stop as a crash would and start again."""

    def stop_immediately(self, timeout: float = 30.0) -> None:
        """What `pg_ctl stop -m immediate` does: SIGQUIT the postmaster, no shutdown checkpoint."""
        self._signal(signal.SIGQUIT, timeout)

    def kill(self, timeout: float = 30.0) -> None:
        """SIGKILL the postmaster (its backends exit when they notice); `start()` recovers."""
        self._signal(signal.SIGKILL, timeout)

    def _signal(self, sig: signal.Signals, timeout: float) -> None:
        pid = self.pid
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while self.is_running():
            if time.monotonic() > deadline:
                raise TimeoutError(f"postmaster {pid} still runs {timeout} s after {sig.name}")
            time.sleep(0.05)


class PgFactory:
    """Dedicated PostgreSQL servers for fault tests, removed afterwards."""

    def __init__(self, base_dir: Path) -> None:
        self.base_dir = base_dir
        self.servers: list[DedicatedPostgres] = []

    def __call__(self) -> DedicatedPostgres:
        """A started server on its own port and data directory.

        fsync is off (the tests kill processes, not the machine: the OS keeps what was written),
        but `synchronous_commit` stays on, so a commit is written before it is acknowledged and
        survives a crash of the server; with it off, the last commits vanish in recovery.
        """
        server = DedicatedPostgres(
            self.base_dir / f"pg-{uuid.uuid4().hex[:8]}", durable=False, settings={"synchronous_commit": "on"}
        )
        self.servers.append(server)
        server.start()
        return server

    def close(self) -> None:
        for server in self.servers:
            with contextlib.suppress(Exception):
                server.remove()
        self.servers.clear()
