"""NATS handles for tests and clean-up of what crashed test runs left in `.data/test-<pid>/`."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from clinic_devstack.nats import EmbeddedNats
from clinic_devstack.postgres import EmbeddedPostgres, remove_orphaned_clusters
from clinic_devstack.procs import process_cmdline, terminate_pid


class NatsServer(Protocol):
    """What tests need of a NATS server: where to connect."""

    @property
    def url(self) -> str: ...


@dataclass(frozen=True)
class ExternalNats:
    """A server given by TEST_NATS_URL; the test run neither starts nor stops it."""

    url: str


class NatsFactory:
    """Starts dedicated NATS servers for fault tests (stop, kill, restart) and stops them after."""

    def __init__(self, base_dir: Path) -> None:
        self.base_dir = base_dir
        self.servers: list[EmbeddedNats] = []

    def __call__(self) -> EmbeddedNats:
        """A started server with its own port and JetStream store."""
        server = EmbeddedNats(self.base_dir / f"nats-{uuid.uuid4().hex[:8]}")
        self.servers.append(server)
        server.start()
        return server

    def close(self) -> None:
        for server in self.servers:
            with contextlib.suppress(Exception):
                server.stop(timeout=5)
            shutil.rmtree(server.store_dir, ignore_errors=True)
        self.servers.clear()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_test_dirs(data_root: Path) -> list[Path]:
    """Stop servers left in `.data/test-<pid>/` by test runs that died, and remove those dirs.

    A directory whose pid is still alive belongs to a running test session and is left alone.
    """
    removed: list[Path] = []
    if not data_root.is_dir():
        return removed
    for directory in data_root.glob("test-*"):
        try:
            pid = int(directory.name.removeprefix("test-"))
        except ValueError:
            continue
        if pid == os.getpid() or _pid_alive(pid):
            continue
        for pid_file in directory.glob("nats*/nats-server.pid"):
            with contextlib.suppress(OSError, ValueError):
                nats_pid = int(pid_file.read_text().strip())
                argv = process_cmdline(nats_pid)
                if argv and Path(argv[0]).name == "nats-server" and str(pid_file.parent) in argv:
                    terminate_pid(nats_pid, group=False, grace=5)
        pg_dir = directory / "pg"
        if pg_dir.is_dir():  # as root its cluster lives elsewhere: stop() finds it
            with contextlib.suppress(Exception):
                EmbeddedPostgres(pg_dir).stop()
        shutil.rmtree(directory, ignore_errors=True)
        removed.append(directory)
    if removed:
        remove_orphaned_clusters()  # other servers those runs started, relocated as root
    return removed


def processes_mentioning(text: str) -> list[str]:
    """`pid: argv` of live processes whose command line contains `text` (leak checks in tests)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        joined = raw.replace(b"\0", b" ").decode(errors="replace")
        if text in joined:
            found.append(f"{entry.name}: {joined}")
    return found
