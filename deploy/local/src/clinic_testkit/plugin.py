"""pytest plugin (`-p clinic_testkit.plugin`): the servers and databases tests share.

One PostgreSQL and one NATS per run, on ephemeral ports under `.data/test-<pid>/` (never the
machine's 5432/4222, never `make run`'s), stopped and removed at the end of the session, also
on Ctrl-C. It imports nothing from the services or from clinic_common.auth at load time, so it
loads while those are still being written.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

import pytest

from clinic_devstack.config import write_clock_offset
from clinic_devstack.nats import EmbeddedNats
from clinic_devstack.postgres import EmbeddedPostgres, ExternalPostgres, PgServer, remove_orphaned_clusters
from clinic_devstack.tokens import ensure_keypair, issue_token
from clinic_testkit.databases import DatabaseFactory, TemplateCache
from clinic_testkit.servers import ExternalNats, NatsFactory, NatsServer, clean_stale_test_dirs

_started_at = pytest.StashKey[float]()


class TokenFactory(Protocol):
    def __call__(self, role: str, org: str | None = None, **claims: Any) -> str: ...


def _sigterm_as_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt("SIGTERM")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_started_at] = time.monotonic()
    # Services default to production; settings a test builds (and processes it starts) are test mode,
    # as `TEST_SETTINGS` makes them for the stack. Tests of the production default clear it.
    os.environ["CLINIC_ENV"] = "test"
    # SIGTERM (CI cancelling, `kill`) would skip teardown and leave PostgreSQL running: turn it
    # into the KeyboardInterrupt that pytest already tears fixtures down for.
    main_thread = threading.current_thread() is threading.main_thread()
    if main_thread and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _sigterm_as_interrupt)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    started = config.stash.get(_started_at, None)
    if started is not None:
        terminalreporter.write_line(f"test session took {time.monotonic() - started:.0f} s")


def _data_root(config: pytest.Config) -> Path:
    override = os.environ.get("CLINIC_TEST_DATA_ROOT")
    return Path(override).absolute() if override else Path(config.rootpath) / ".data"


@pytest.fixture(scope="session")
def test_data_dir(pytestconfig: pytest.Config) -> Iterator[Path]:
    """`.data/test-<pid>/`: everything this run writes; removed at the end of the session."""
    root = _data_root(pytestconfig)
    clean_stale_test_dirs(root)
    directory = root / f"test-{os.getpid()}"
    directory.mkdir(parents=True, exist_ok=True)
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        remove_orphaned_clusters()  # as root, clusters of this run's servers live outside it


@pytest.fixture(scope="session")
def pg_server(test_data_dir: Path) -> Iterator[PgServer]:
    """The run's PostgreSQL: TEST_DATABASE_URL's server, else one embedded server (fsync off)."""
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if url:
        yield ExternalPostgres(url)
        return
    server = EmbeddedPostgres(test_data_dir / "pg", durable=False)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def nats_server(test_data_dir: Path) -> Iterator[NatsServer]:
    """The run's NATS (JetStream): TEST_NATS_URL's server, else one embedded server."""
    url = os.environ.get("TEST_NATS_URL", "").strip()
    if url:
        yield ExternalNats(url)
        return
    server = EmbeddedNats(test_data_dir / "nats")
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def nats_factory(test_data_dir: Path) -> Iterator[NatsFactory]:
    """Call it to get a dedicated, started EmbeddedNats (stop/kill/restart it freely)."""
    factory = NatsFactory(test_data_dir)
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture
def pg_factory(test_data_dir: Path) -> Iterator[Any]:
    """Call it for a dedicated, started PostgreSQL (`stop_immediately()`, `kill()`, `start()` again)."""
    from clinic_testkit.processes import PgFactory

    factory = PgFactory(test_data_dir)
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture
def service_processes(
    test_data_dir: Path, dev_keys: tuple[Path, Path], clock_file: Path, pytestconfig: pytest.Config
) -> Iterator[Any]:
    """Services as real uvicorn processes with the dev stack's environment; killed at teardown."""
    from clinic_testkit.processes import ServiceProcesses
    from clinic_testkit.stack import TEST_SETTINGS

    processes = ServiceProcesses(
        test_data_dir / "processes",
        root=Path(pytestconfig.rootpath),
        public_key=dev_keys[1],
        clock_file=clock_file,
        defaults=TEST_SETTINGS,
    )
    try:
        yield processes
    finally:
        processes.close()


@pytest.fixture(scope="session")
def template_cache(pg_server: PgServer, pytestconfig: pytest.Config) -> TemplateCache:
    """Session cache of `tmpl_<pkg>` databases, each migrated once per run."""
    return TemplateCache(pg_server, Path(pytestconfig.rootpath))


@pytest.fixture(scope="session")
def migrated_template(template_cache: TemplateCache) -> Callable[[str], str]:
    """`migrated_template("billing") -> "tmpl_billing"`, migrated on first use."""
    return template_cache.migrated_template


@pytest.fixture
def database_factory(template_cache: TemplateCache) -> Iterator[DatabaseFactory]:
    """`database_factory("billing")` (or `.fresh_database`) -> URL of a migrated database for this test."""
    factory = DatabaseFactory(template_cache)
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture(scope="session")
def dev_keys(test_data_dir: Path) -> tuple[Path, Path]:
    """(private.pem, public.pem) of a development key pair for this run."""
    return ensure_keypair(test_data_dir / "keys")


@pytest.fixture(scope="session")
def token_factory(dev_keys: tuple[Path, Path]) -> TokenFactory:
    """`token_factory("registrar", org=..., staff_id=...)` -> a JWT that `dev_keys`' public key verifies."""
    private_key = dev_keys[0]

    def make(role: str, org: str | None = None, **claims: Any) -> str:
        return issue_token(private_key, role=role, org=org, **claims)

    return make


@pytest.fixture
def clock_file(tmp_path: Path) -> Path:
    """A fresh shared-clock file holding offset 0 (pass it as CLINIC_CLOCK_FILE)."""
    path = tmp_path / "clock.json"
    write_clock_offset(path, 0.0)
    return path


@pytest.fixture
async def stack(
    database_factory: DatabaseFactory,
    nats_server: NatsServer,
    dev_keys: tuple[Path, Path],
    clock_file: Path,
    token_factory: TokenFactory,
) -> AsyncIterator[Any]:
    """Services of the system started in-process for one test, on fresh databases and streams."""
    from clinic_testkit.stack import Stack, clean_jetstream  # imports the services lazily

    await clean_jetstream(nats_server.url)
    running = Stack(database_factory, nats_server.url, dev_keys[1], clock_file, token_factory)
    try:
        yield running
    finally:
        await running.close()
