"""The runner behind `make run`, driven with fake services: start order, env, clean stop, failures."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nats
import pytest

from clinic_devstack.config import prepare_clock_file, read_clock_offset
from clinic_devstack.ports import free_port, port_is_free
from clinic_devstack.postgres import pg_bin_dir
from clinic_testkit.servers import processes_mentioning

DRIVER = """
import json, sys
from pathlib import Path
from clinic_devstack.config import ServiceSpec
from clinic_devstack.run import Stack

cfg = json.loads(sys.argv[1])
specs = [ServiceSpec(name, package, port) for name, package, port in cfg["services"]]
sys.exit(Stack(root=Path(cfg["root"]), data=Path(cfg["data"]), services=specs, ready_timeout=60).run())
"""


class Runner:
    """The runner in a subprocess (it installs signal handlers), with its output collected."""

    def __init__(self, tmp: Path, data: Path, extra_env: dict[str, str] | None = None) -> None:
        self.ports = [free_port(), free_port()]
        self.data = data
        driver = tmp / "clinic_devstack_driver.py"  # the name `clinic-devstack stop` recognises
        driver.write_text(DRIVER)
        cfg = {
            "root": str(tmp),
            "data": str(data),
            "services": [["fake-a", "fakesvc_a", self.ports[0]], ["fake-b", "fakesvc_b", self.ports[1]]],
        }
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NATS_URL")}
        env.update(
            {
                "PYTHONPATH": str(tmp),
                "FAKE_PSQL": str(pg_bin_dir() / "psql"),
                "FAKE_MARKERS": str(tmp),
                "CLINIC_CLOCK_START": "2030-03-09T11:59:00+03:00",
                **(extra_env or {}),
            }
        )
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, str(driver), json.dumps(cfg)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            if self.proc.poll() is not None:
                self._reader.join(5)
                if any(text in line for line in self.lines):
                    return
                pytest.fail(f"runner exited {self.proc.returncode} before {text!r}:\n{self.output}")
            if time.monotonic() > deadline:
                pytest.fail(f"no {text!r} after {timeout} s:\n{self.output}")
            time.sleep(0.1)

    def count(self, text: str) -> int:
        return sum(text in line for line in list(self.lines))

    def wait_count(self, text: str, count: int, timeout: float = 90) -> None:
        """Wait until `text` appeared `count` times (a second restart prints the same line again)."""
        deadline = time.monotonic() + timeout
        while self.count(text) < count:
            if self.proc.poll() is not None:
                pytest.fail(f"runner exited {self.proc.returncode} before {text!r} x{count}:\n{self.output}")
            if time.monotonic() > deadline:
                pytest.fail(f"{text!r} not seen {count} times after {timeout} s:\n{self.output}")
            time.sleep(0.1)

    @property
    def pg_data_dir(self) -> Path:
        """The cluster's PGDATA: `.data/pg`, or where its pointer says it moved (as root)."""
        pointer = self.data / "pg" / "clinic_data_dir"
        return Path(pointer.read_text().strip()) if pointer.exists() else self.data / "pg"

    def child_pid(self, label: str) -> int:
        state = json.loads((self.data / "run" / "stack.json").read_text())
        return int(state["children"][label]["pid"])

    def finish(self, timeout: float = 60) -> int:
        code = self.proc.wait(timeout)
        self._reader.join(5)
        return code

    def assert_nothing_left(self) -> None:
        assert processes_mentioning(str(self.data)) == []
        assert processes_mentioning(str(self.pg_data_dir)) == []
        assert processes_mentioning("fakesvc_") == []
        assert all(port_is_free(p) for p in self.ports)
        assert not (self.data / "run" / "stack.json").exists()


@pytest.fixture
def fakes(tmp_path: Path, fake_service) -> Path:
    fake_service(tmp_path, "fakesvc_a")
    fake_service(tmp_path, "fakesvc_b")
    return tmp_path


def test_clock_offset_from_start_instant(tmp_path: Path) -> None:
    clock = tmp_path / "clock.json"
    now = datetime(2030, 1, 1, tzinfo=UTC)
    offset = prepare_clock_file(clock, {"CLINIC_CLOCK_START": "2030-01-02T03:00:00+03:00"}, now=now)
    assert offset == timedelta(hours=24).total_seconds()
    assert json.loads(clock.read_text()) == {"offset_seconds": offset}
    assert prepare_clock_file(clock, {"CLINIC_CLOCK_KEEP": "1"}) == offset
    assert prepare_clock_file(clock, {}) == 0.0
    assert read_clock_offset(clock) == 0.0
    with pytest.raises(ValueError, match="offset"):
        prepare_clock_file(clock, {"CLINIC_CLOCK_START": "2030-01-02T03:00:00"})
    with pytest.raises(ValueError, match="RFC 3339"):
        prepare_clock_file(clock, {"CLINIC_CLOCK_START": "tomorrow"})


def test_token_command_prints_token_last(tmp_path: Path) -> None:
    env = {**os.environ, "CLINIC_DATA_DIR": str(tmp_path)}
    org = "0b6f2a4e-8a53-4c1b-9d6e-2f1a3b4c5d6e"
    out = subprocess.run(
        [sys.executable, "-m", "clinic_devstack.cli", "token", "--role", "registrar", "--org", org],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    token = out.strip().splitlines()[-1]
    assert token.count(".") == 2
    assert (tmp_path / "keys" / "public.pem").exists()
    bad = subprocess.run(
        [sys.executable, "-m", "clinic_devstack.cli", "token", "--role", "nobody", "--org", org],
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "nobody" in bad.stderr


def test_run_starts_everything_and_ctrl_c_stops_everything(fakes: Path, test_data_dir: Path) -> None:
    runner = Runner(fakes, test_data_dir / "stack-ok")
    try:
        runner.wait_for("Press Ctrl-C to stop.")
        state = json.loads((runner.data / "run" / "stack.json").read_text())
        assert {"fake-a", "fake-b", "fake-a migrate", "fake-b seed"} <= set(state["children"])
        with urllib.request.urlopen(f"http://127.0.0.1:{runner.ports[1]}/readyz") as response:
            seen = json.load(response)
        assert seen["clock"] == str(runner.data / "clock.json")
        assert seen["nats"].startswith("nats://127.0.0.1:") and not seen["nats"].endswith(":4222")
        assert seen["db"].startswith("postgresql://postgres@/fakesvc_b?host=")
        assert seen["env"] == "development" and seen["issuer"] == "clinic-dev"
        assert Path(seen["key"]).exists()
        assert (fakes / "fakesvc_a-seed").read_text().startswith("postgresql://postgres@/fakesvc_a?host=")
        offset = read_clock_offset(runner.data / "clock.json")
        expected = (datetime(2030, 3, 9, 8, 59, tzinfo=UTC) - datetime.now(UTC)).total_seconds()
        assert abs(offset - expected) < 300
        assert "fake-a       | " in runner.output  # service logs are prefixed
        assert f"http://127.0.0.1:{runner.ports[0]}/docs" in runner.output
    finally:
        runner.proc.send_signal(signal.SIGINT)
        started = time.monotonic()
        code = runner.finish()
    assert code == 0, runner.output
    assert time.monotonic() - started < 8, "services should stop on SIGTERM, not on the SIGKILL fallback"
    assert "fake-a       | INFO:     Finished server process" in runner.output
    assert "stack stopped." in runner.output
    runner.assert_nothing_left()


def _readyz(port: int) -> dict[str, str] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
            seen: dict[str, str] = json.load(response)
            return seen
    except OSError:
        return None


def _poll(what: str, check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout} s")
        time.sleep(0.1)


async def _stream_messages(url: str, publish: bool) -> int:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        if publish:
            await js.add_stream(name="RUNNER", subjects=["runner.>"])
            await js.publish("runner.kept", b"1")
        return (await js.stream_info("RUNNER")).state.messages
    finally:
        await nc.close()


def test_dead_processes_are_restarted_with_their_state_and_ctrl_c_stops_all(
    fakes: Path, test_data_dir: Path
) -> None:
    runner = Runner(fakes, test_data_dir / "stack-restart")
    try:
        runner.wait_for("Press Ctrl-C to stop.")
        port = runner.ports[1]
        before = _readyz(port)
        assert before is not None
        pg_data = runner.pg_data_dir
        psql = [str(pg_bin_dir() / "psql"), "-X", "-At", "-d", before["db"], "-c"]

        # A service: SIGKILL, restarted on the same port with the same env, ready again.
        old_pid = runner.child_pid("fake-b")
        os.kill(old_pid, signal.SIGKILL)
        runner.wait_for("fake-b was killed by SIGKILL after")
        runner.wait_for("fake-b is ready again")
        assert runner.child_pid("fake-b") != old_pid
        assert _readyz(port) == before

        # NATS: SIGKILL, restarted on the same port and store, the stream's message kept.
        assert asyncio.run(_stream_messages(before["nats"], publish=True)) == 1
        nats_pid = int((runner.data / "nats" / "nats-server.pid").read_text())
        os.kill(nats_pid, signal.SIGKILL)
        runner.wait_for("NATS was killed by SIGKILL after")
        runner.wait_for("NATS restarted")
        assert asyncio.run(_stream_messages(before["nats"], publish=False)) == 1

        # PostgreSQL: SIGKILL of the postmaster, then an immediate shutdown (what
        # `pg_ctl -m immediate` sends); each time restarted with its data on the same port.
        for signum, times in ((signal.SIGKILL, 1), (signal.SIGQUIT, 2)):
            pid = int((pg_data / "postmaster.pid").read_text().splitlines()[0])
            os.kill(pid, signum)
            runner.wait_count("PostgreSQL restarted", times)
            row = subprocess.run(
                [*psql, "SELECT id FROM things"], capture_output=True, text=True, check=False
            )
            assert row.stdout.strip() == "1", row.stderr
        assert runner.count("PostgreSQL stopped (log: ") >= 2, runner.output
        _poll("all services answer", lambda: all(_readyz(p) is not None for p in runner.ports))
    finally:
        runner.proc.send_signal(signal.SIGINT)
        code = runner.finish()
    assert code == 0, runner.output
    assert "received SIGINT: stopping the stack" in runner.output
    assert "stack stopped." in runner.output
    runner.assert_nothing_left()


def test_a_failing_migration_stops_the_stack(fakes: Path, test_data_dir: Path) -> None:
    runner = Runner(fakes, test_data_dir / "stack-fail", {"FAKE_FAIL_STEP": "fakesvc_a-migrate"})
    code = runner.finish(timeout=120)
    assert code == 1
    assert "`fake-a migrate` failed with exit code 4" in runner.output
    assert "boom: failing on purpose" in runner.output
    runner.assert_nothing_left()


def test_stop_cleans_up_after_a_killed_runner(fakes: Path, test_data_dir: Path) -> None:
    runner = Runner(fakes, test_data_dir / "stack-crash")
    runner.wait_for("Press Ctrl-C to stop.")
    runner.proc.kill()  # the runner dies; PostgreSQL, NATS and the services survive it
    runner.finish()
    assert processes_mentioning(str(runner.pg_data_dir))
    env = {**os.environ, "CLINIC_DATA_DIR": str(runner.data)}
    out = subprocess.run(
        [sys.executable, "-m", "clinic_devstack.cli", "stop"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert "postgres" in out and "nats-server" in out and "fake-a" in out
    runner.assert_nothing_left()


def test_given_servers_are_used_and_left_running_and_stop_asks_the_runner(
    fakes: Path, test_data_dir: Path, pg_server, nats_server
) -> None:
    env = {"DATABASE_URL": pg_server.url("postgres"), "NATS_URL": nats_server.url}
    runner = Runner(fakes, test_data_dir / "stack-external", env)
    try:
        runner.wait_for("Press Ctrl-C to stop.")
        assert "using PostgreSQL from DATABASE_URL" in runner.output
        assert not (runner.data / "pg").exists() and not (runner.data / "nats").exists()
        with urllib.request.urlopen(f"http://127.0.0.1:{runner.ports[0]}/readyz") as response:
            seen = json.load(response)
        assert seen["db"] == pg_server.url("fakesvc_a")
        assert seen["nats"] == nats_server.url
        out = subprocess.run(
            [sys.executable, "-m", "clinic_devstack.cli", "stop"],
            env={**os.environ, "CLINIC_DATA_DIR": str(runner.data)},
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
        assert f"runner {runner.proc.pid}" in out
        assert runner.finish() == 0
        assert "received SIGTERM" in runner.output
        runner.assert_nothing_left()
        assert pg_server.psql("SELECT count(*) FROM things", "fakesvc_a") == "1"  # still up
    finally:
        if runner.proc.poll() is None:
            runner.proc.kill()
        pg_server.drop_database("fakesvc_a")
        pg_server.drop_database("fakesvc_b")
