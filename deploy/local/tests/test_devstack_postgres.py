"""Embedded PostgreSQL: starts, answers, has btree_gist, stops without leaving a process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from clinic_devstack.postgres import EmbeddedPostgres, PgServer, pg_bin_dir
from clinic_testkit.databases import DatabaseFactory, MigrationError, TemplateCache
from clinic_testkit.servers import processes_mentioning


def test_starts_answers_has_btree_gist_and_stops_clean(test_data_dir: Path) -> None:
    pg = EmbeddedPostgres(test_data_dir / "pg-lifecycle")
    pg.start()
    try:
        assert pg.url("postgres") == f"postgresql://postgres@/postgres?host={pg.socket_dir}&port={pg.port}"
        assert pg.psql("SELECT 40 + 2") == "42"
        assert pg.psql("SHOW server_encoding") == "UTF8"
        assert pg.psql("SELECT datcollate FROM pg_database WHERE datname = 'postgres'") == "C"
        pg.create_database("gist")
        pg.psql("CREATE EXTENSION btree_gist", "gist")
        pg.psql(
            "CREATE TABLE booking (room int, during tstzrange,"
            " EXCLUDE USING gist (room WITH =, during WITH &&))",
            "gist",
        )
        assert pg.port != 5432
    finally:
        pg.stop()
    assert not pg.is_running()
    assert processes_mentioning(str(pg.data_dir)) == []
    pg.remove()


def test_tcp_listener_on_loopback(test_data_dir: Path) -> None:
    with EmbeddedPostgres(test_data_dir / "pg-tcp") as pg:
        out = subprocess.run(
            [str(pg_bin_dir() / "psql"), "-X", "-At", "-d", pg.tcp_url("postgres"), "-c", "SELECT 1"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert out == "1"
    pg.remove()


def test_long_data_dir_gets_short_socket_dir(test_data_dir: Path) -> None:
    long_dir = test_data_dir / ("x" * 100) / "pg"
    with EmbeddedPostgres(long_dir) as pg:
        assert len(str(pg.socket_dir / f".s.PGSQL.{pg.port}").encode()) <= 107  # sun_path
        assert pg.psql("SELECT 1") == "1"
        assert (long_dir / "clinic_socket_dir").read_text().strip() == str(pg.socket_dir)
    if pg.socket_dir != pg.data_dir:
        assert not pg.socket_dir.exists()
    assert processes_mentioning(str(pg.data_dir)) == []
    pg.remove()


def test_restarts_over_stale_pid_file_and_crashed_server(test_data_dir: Path) -> None:
    data = test_data_dir / "pg-stale"
    first = EmbeddedPostgres(data)
    first.start()
    first.psql("CREATE TABLE kept (id int)")
    # A later run that never stopped the first server (the runner crashed) takes over the dir.
    second = EmbeddedPostgres(data)
    second.start()
    try:
        assert second.psql("SELECT count(*) FROM kept") == "0"
        assert len([p for p in processes_mentioning(f"-D {first.data_dir}") if "postgres" in p]) == 1
    finally:
        second.stop()
    # A postmaster.pid naming a dead process is ignored.
    (first.data_dir / "postmaster.pid").write_text("999999\n" + str(first.data_dir) + "\n")
    with EmbeddedPostgres(data) as third:
        assert third.psql("SELECT 1") == "1"
    assert processes_mentioning(str(first.data_dir)) == []
    third.remove()
    assert not first.data_dir.exists()


def test_database_helpers(pg_server: PgServer) -> None:
    assert pg_server.extension_available("btree_gist")
    assert not pg_server.database_exists("helpers_db")
    pg_server.create_database("helpers_db")
    assert pg_server.database_exists("helpers_db")
    pg_server.psql("CREATE TABLE t (id int); INSERT INTO t VALUES (7)", "helpers_db")
    pg_server.create_database("helpers_clone", template="helpers_db")
    assert pg_server.psql("SELECT id FROM t", "helpers_clone") == "7"
    pg_server.drop_database("helpers_clone")
    pg_server.drop_database("helpers_db")
    assert not pg_server.database_exists("helpers_db")
    with pytest.raises(ValueError):
        pg_server.create_database("bad; DROP")


def test_template_cache_and_database_factory(pg_server: PgServer, tmp_path: Path, fake_service) -> None:
    fake_service(tmp_path, "fakesvc_tmpl")
    env = {
        **os.environ,
        "PYTHONPATH": str(tmp_path),
        "FAKE_PSQL": str(pg_bin_dir() / "psql"),
        "FAKE_MARKERS": str(tmp_path),
    }
    cache = TemplateCache(pg_server, tmp_path, env=env, python=sys.executable)
    assert cache.migrated_template("fakesvc-tmpl") == "tmpl_fakesvc_tmpl"
    assert cache.migrated_template("fakesvc_tmpl") == "tmpl_fakesvc_tmpl"
    assert (tmp_path / "fakesvc_tmpl-migrate").read_text() == pg_server.url("tmpl_fakesvc_tmpl")
    (tmp_path / "fakesvc_tmpl-migrate").unlink()
    factory = DatabaseFactory(cache)
    first, second = factory("fakesvc_tmpl"), factory.fresh_database("fakesvc_tmpl")
    assert first != second
    assert not (tmp_path / "fakesvc_tmpl-migrate").exists()  # migrated once only
    name = first.split("/")[3].split("?")[0]
    assert pg_server.psql("SELECT count(*) FROM things", name) == "0"
    factory.close()
    assert not pg_server.database_exists(name)

    env["FAKE_FAIL_STEP"] = "fakesvc_bad-migrate"
    fake_service(tmp_path, "fakesvc_bad")
    failing = TemplateCache(pg_server, tmp_path, env=env)
    with pytest.raises(MigrationError, match="boom"):
        failing.migrated_template("fakesvc_bad")
    with pytest.raises(MigrationError):  # the failure is cached, not retried per test
        failing.migrated_template("fakesvc_bad")
