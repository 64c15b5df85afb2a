"""The injectable business clock.

Rules take `now` from here, never from `datetime.now()` or the database. In development a shared
offset (a small JSON file every process reads) lets the whole local stack live on a chosen day;
`PUT /_dev/clock` moves it for every process at once. Production refuses both (see settings).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall clock in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock tests set and move explicitly."""

    current: datetime

    def __post_init__(self) -> None:
        if self.current.tzinfo is None:
            raise ValueError("naive datetime")

    def now(self) -> datetime:
        return self.current

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("naive datetime")
        self.current = instant

    def advance(self, delta: timedelta) -> None:
        self.current += delta


@dataclass
class SharedOffsetClock:
    """Wall clock plus an offset kept in a file shared by every local process.

    The file is re-read when it changes (stat per call is cheap), so moving the clock in one
    service moves it in all of them, and a restarted service agrees with the rest.
    """

    path: Path
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stamp: tuple[int, int, int] = (-1, -1, -1)
    _offset: float = 0.0

    def offset(self) -> timedelta:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return timedelta(0)
        # Every write replaces the file (new inode), so coarse mtimes cannot hide a change.
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if stamp != self._stamp:
                offset = _read_offset(self.path)
                if offset is not None:  # a half-written or foreign file: keep the last good offset
                    self._offset = offset
                    self._stamp = stamp
            return timedelta(seconds=self._offset)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset()

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("naive datetime")
        write_offset(self.path, (instant - datetime.now(UTC)).total_seconds())


# About 7000 years either way: beyond that the shifted wall clock leaves datetime's range.
MAX_OFFSET_SECONDS = 2.2e11


def _read_offset(path: Path) -> float | None:
    try:
        data = json.loads(path.read_text())
        offset = float(data["offset_seconds"])
        timedelta(seconds=offset)  # representable as a shift of the wall clock
    except (ValueError, TypeError, KeyError, OverflowError, OSError):
        return None
    if not math.isfinite(offset) or abs(offset) > MAX_OFFSET_SECONDS:
        return None
    return offset


def write_offset(path: Path, offset_seconds: float) -> None:
    """Atomically replace the shared offset file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".clock-")
    with os.fdopen(fd, "w") as fh:
        json.dump({"offset_seconds": offset_seconds}, fh)
    Path(tmp).replace(path)


def parse_instant(value: str) -> datetime:
    """RFC 3339 instant with an offset; naive values are refused."""
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        raise ValueError("instant needs an offset")
    return dt


def clock_from_settings(clock_file: Path | None, clock_start: str | None) -> Clock:
    if clock_file is not None:
        if clock_start and not clock_file.exists():
            write_offset(clock_file, (parse_instant(clock_start) - datetime.now(UTC)).total_seconds())
        return SharedOffsetClock(clock_file)
    if clock_start:
        return FixedOffsetClock(parse_instant(clock_start) - datetime.now(UTC))
    return SystemClock()


@dataclass
class FixedOffsetClock:
    """Wall clock shifted by a constant, for a single process started with CLINIC_CLOCK_START."""

    delta: timedelta

    def now(self) -> datetime:
        return datetime.now(UTC) + self.delta
