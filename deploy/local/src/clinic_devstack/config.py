"""Where the local stack keeps its data, which services it runs, and the shared dev clock file."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class ServiceSpec:
    """One service as the runner sees it: package, env prefix, default port, database name."""

    name: str
    package: str
    default_port: int

    @property
    def env_prefix(self) -> str:
        return self.package.upper() + "_"

    @property
    def database(self) -> str:
        return self.package

    def port(self, env: Mapping[str, str]) -> int:
        """The port from `<PREFIX>PORT`, else the default."""
        return int(env.get(self.env_prefix + "PORT", self.default_port))


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("scheduling", "scheduling", 8001),
    ServiceSpec("billing", "billing", 8002),
    ServiceSpec("records", "records", 8003),
    ServiceSpec("home-visits", "home_visits", 8004),
)


def service_spec(name: str) -> ServiceSpec:
    """Find a service by name or package (`home-visits` and `home_visits` both work)."""
    for spec in SERVICES:
        if name in (spec.name, spec.package):
            return spec
    package = name.replace("-", "_")
    return ServiceSpec(name, package, 0)


def repo_root() -> Path:
    """The monorepo root: env CLINIC_REPO_ROOT, else the nearest parent with services/ and libs/."""
    override = os.environ.get("CLINIC_REPO_ROOT")
    if override:
        return Path(override).absolute()
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        for candidate in (start, *start.parents):
            if (candidate / "services").is_dir() and (candidate / "libs").is_dir():
                return candidate
    return Path.cwd()


def data_dir(root: Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    """`.data/` at the repo root, or env CLINIC_DATA_DIR."""
    env = os.environ if env is None else env
    override = env.get("CLINIC_DATA_DIR")
    if override:
        return Path(override).absolute()
    return (root or repo_root()) / ".data"


def service_dir(root: Path, spec: ServiceSpec) -> Path:
    """The service's source directory (its commands run there), or the root if absent."""
    candidate = root / "services" / spec.name
    return candidate if candidate.is_dir() else root


def parse_instant(value: str) -> datetime:
    """An RFC 3339 instant with an offset (`2026-03-07T11:59:00+03:00`, `...Z`)."""
    try:
        instant = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"CLINIC_CLOCK_START is not an RFC 3339 instant: {value!r}") from None
    if instant.tzinfo is None:
        raise ValueError(f"CLINIC_CLOCK_START needs an offset (Z or +03:00): {value!r}")
    return instant


def write_clock_offset(path: Path, offset_seconds: float) -> None:
    """Atomically replace the shared offset file every process reads."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".clock-")
    with os.fdopen(fd, "w") as fh:
        json.dump({"offset_seconds": offset_seconds}, fh)
    Path(tmp).chmod(0o644)
    Path(tmp).replace(path)


def read_clock_offset(path: Path) -> float:
    try:
        return float(json.loads(path.read_text()).get("offset_seconds", 0.0))
    except (OSError, ValueError, AttributeError):
        return 0.0


def prepare_clock_file(path: Path, env: Mapping[str, str], now: datetime | None = None) -> float:
    """Compute the one offset the whole stack lives with and write it; return it.

    CLINIC_CLOCK_START=<instant> sets offset = instant - wall now, computed once at launch so every
    process agrees (also across a restart of one service). Without it the offset is 0, unless the
    file exists and CLINIC_CLOCK_KEEP=1 (keep the day chosen by an earlier run or PUT /_dev/clock).
    """
    start = env.get("CLINIC_CLOCK_START", "").strip()
    if start:
        offset = (parse_instant(start) - (now or datetime.now(UTC))).total_seconds()
    elif path.exists() and env.get("CLINIC_CLOCK_KEEP") == "1":
        return read_clock_offset(path)
    else:
        offset = 0.0
    write_clock_offset(path, offset)
    return offset
