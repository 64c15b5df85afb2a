"""Per-test databases cloned from a template migrated once per run.

Migrating per test is too slow for 2 cores and CI's 90 minutes; `CREATE DATABASE ... TEMPLATE`
copies a migrated schema in milliseconds.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from clinic_devstack.config import ServiceSpec, service_dir, service_spec
from clinic_devstack.postgres import PgServer


class MigrationError(RuntimeError):
    """`python -m <pkg>.cli migrate` failed on a template; the message carries its output."""


class TemplateCache:
    """`tmpl_<pkg>` databases, each migrated at most once per test run (failures are cached too)."""

    def __init__(
        self,
        pg: PgServer,
        root: Path,
        *,
        env: Mapping[str, str] | None = None,
        python: str = sys.executable,
    ) -> None:
        self.pg = pg
        self.root = root
        self.env = dict(os.environ if env is None else env)
        self.python = python
        self._done: dict[str, str | MigrationError] = {}
        self._lock = threading.Lock()

    def migrated_template(self, service: str) -> str:
        """Name of the template database of `service` (e.g. `home-visits` -> `tmpl_home_visits`)."""
        spec = service_spec(service)
        with self._lock:
            if spec.package not in self._done:
                try:
                    self._done[spec.package] = self._build(spec)
                except MigrationError as exc:
                    self._done[spec.package] = exc
            result = self._done[spec.package]
        if isinstance(result, MigrationError):
            raise result
        return result

    def _build(self, spec: ServiceSpec) -> str:
        name = f"tmpl_{spec.package}"
        self.pg.drop_database(name)
        self.pg.create_database(name)
        env = {**self.env, spec.env_prefix + "DATABASE_URL": self.pg.url(name), "PYTHONUNBUFFERED": "1"}
        cmd = [self.python, "-m", f"{spec.package}.cli", "migrate"]
        proc = subprocess.run(
            cmd,
            env=env,
            cwd=str(service_dir(self.root, spec)),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if proc.returncode != 0:
            output = (proc.stdout + proc.stderr).strip()[-4000:]
            raise MigrationError(f"`{' '.join(cmd[1:])}` failed ({proc.returncode}) on {name}:\n{output}")
        return name


class DatabaseFactory:
    """Fresh databases for one test, cloned from the service's template and dropped afterwards."""

    _counter = itertools.count(1)

    def __init__(self, templates: TemplateCache) -> None:
        self.templates = templates
        self.pg = templates.pg
        self.created: list[str] = []

    def migrated_template(self, service: str) -> str:
        """Name of the migrated template database of `service`."""
        return self.templates.migrated_template(service)

    def fresh_database(self, service: str) -> str:
        """URL of a new database with `service`'s migrated schema (dropped at teardown)."""
        template = self.migrated_template(service)
        name = f"t_{service_spec(service).package}_{os.getpid()}_{next(self._counter)}"
        self.pg.create_database(name, template=template)
        self.created.append(name)
        return self.pg.url(name)

    def empty_database(self) -> str:
        """URL of a new empty database (for migration tests), dropped at teardown."""
        name = f"t_empty_{os.getpid()}_{next(self._counter)}"
        self.pg.create_database(name)
        self.created.append(name)
        return self.pg.url(name)

    def __call__(self, service: str) -> str:
        return self.fresh_database(service)

    def close(self) -> None:
        """Drop every database this factory created (sessions still connected are ended)."""
        while self.created:
            self.pg.drop_database(self.created.pop())
