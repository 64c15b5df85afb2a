"""Child processes of the runner: each in its own process group, output prefixed with its name.

Own process groups let the runner decide the shutdown order (services first, then NATS, then
PostgreSQL) instead of the terminal's Ctrl-C hitting everything at once, and let it kill a
service together with anything the service started.
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

_COLORS = ("36", "33", "35", "32", "34", "31")


class Output:
    """Serialises lines written by several reader threads to one stream."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._lock = threading.Lock()
        self.color = bool(getattr(stream, "isatty", lambda: False)())

    def line(self, text: str) -> None:
        with self._lock:
            self.stream.write(text + "\n")
            self.stream.flush()

    def paint(self, text: str, index: int) -> str:
        if not self.color:
            return text
        return f"\033[{_COLORS[index % len(_COLORS)]}m{text}\033[0m"


class Child:
    """A subprocess in its own session whose output is echoed with a prefix and kept as a tail."""

    def __init__(
        self,
        name: str,
        cmd: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Path,
        output: Output,
        color: int = 0,
        tail_lines: int = 60,
    ) -> None:
        self.name = name
        self.cmd = list(cmd)
        self._tail: collections.deque[str] = collections.deque(maxlen=tail_lines)
        self._output = output
        self._prefix = output.paint(f"{name:<12} |", color) + " "
        self.proc = subprocess.Popen(
            self.cmd,
            env=dict(env),
            cwd=str(cwd),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._pump, name=f"log-{name}", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _pump(self) -> None:
        stream = self.proc.stdout
        if stream is None:
            return
        for raw in iter(stream.readline, b""):
            text = raw.decode(errors="replace").rstrip("\r\n")
            self._tail.append(text)
            self._output.line(self._prefix + text)
        stream.close()

    def tail(self) -> str:
        """The last lines the process printed (shown when it fails)."""
        self._reader.join(timeout=1)
        return "\n".join(self._tail)

    def poll(self) -> int | None:
        return self.proc.poll()

    def wait(self) -> int:
        code = self.proc.wait()
        self._reader.join(timeout=5)
        return code

    def signal_group(self, sig: signal.Signals) -> None:
        """Signal the whole process group (the child is its leader), ignoring a gone group."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)


def stop_children(children: Sequence[Child], grace: float = 10.0) -> None:
    """SIGTERM every child's group, wait up to `grace` seconds in total, then SIGKILL the rest."""
    for child in children:
        child.signal_group(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in children:
        remaining = max(0.0, deadline - time.monotonic())
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.proc.wait(remaining)
    for child in children:
        # SIGKILL the group even if the leader exited: workers it started may linger.
        child.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.proc.wait(5)


def process_cmdline(pid: int) -> list[str]:
    """argv of a live process, empty if it is gone (used to avoid signalling a reused pid)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def terminate_pids(targets: Sequence[tuple[int, bool]], grace: float = 10.0) -> None:
    """SIGTERM each (pid, is_group) at once, SIGKILL what is left after `grace` seconds.

    For leftovers of a crashed runner; all are signalled together so the wait is paid once.
    """
    for pid, group in targets:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            (os.killpg if group else os.kill)(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(process_cmdline(pid) for pid, _ in targets):
        time.sleep(0.1)
    for pid, group in targets:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            (os.killpg if group else os.kill)(pid, signal.SIGKILL)


def terminate_pid(pid: int, *, group: bool, grace: float = 10.0) -> None:
    """SIGTERM a process (or its group), SIGKILL after `grace` seconds."""
    terminate_pids([(pid, group)], grace)
