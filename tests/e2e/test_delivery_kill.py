"""Deliveries survive real process kills with exactly one effect at the provider.

The records service runs as a real process (uvicorn, as `make run` starts it) against the run's
PostgreSQL and NATS; its delivery worker sends to a stub SMS gateway the test starts on a local
port. The gateway behaves as real ones do with idempotency keys: the first request with a key
takes effect (one SMS), a repeat is answered with the first answer. It counts every request, so
a resend shows, and every effect, so a double SMS would show.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from clinic_common.db import Database
from clinic_common.deliveries import Deliveries
from clinic_testkit.stack import eventually

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Gateway:
    """State of the stub SMS gateway, shared with its request threads."""

    hold: bool = False  # first requests wait for `release`: the provider has not answered yet
    latency: float = 0.0
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[str] = field(default_factory=list)
    effects: dict[str, str] = field(default_factory=dict)  # key -> message id: one SMS each
    in_flight: Counter[str] = field(default_factory=Counter)
    overlaps: list[str] = field(default_factory=list)

    def snapshot(self) -> tuple[int, int, int]:
        with self.lock:
            return len(self.requests), len(set(self.requests)), len(self.effects)


def serve(gateway: Gateway) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the http.server API names it so
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            key = self.headers["Idempotency-Key"]
            assert key == body["idempotency_key"]
            with gateway.lock:
                gateway.requests.append(key)
                first = key not in gateway.effects
                if first:  # the SMS goes out as soon as the request arrives
                    gateway.effects[key] = f"sms-{len(gateway.effects) + 1}"
                if gateway.in_flight[key]:
                    gateway.overlaps.append(key)
                gateway.in_flight[key] += 1
                hold = gateway.hold and first
            try:
                if hold:
                    gateway.release.wait(60)
                elif gateway.latency:
                    threading.Event().wait(gateway.latency)
                answer = json.dumps({"id": gateway.effects[key], "duplicate": not first}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except OSError:
                pass  # the caller was killed while we held its request
            finally:
                with gateway.lock:
                    gateway.in_flight[key] -= 1

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/send"


@pytest.fixture
def gateway() -> Iterator[tuple[Gateway, str]]:
    state = Gateway()
    server, url = serve(state)
    try:
        yield state, url
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Proc:
    popen: subprocess.Popen[bytes]
    log: Path
    port: int

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


class Records:
    """Starts records processes on one database, as `make run` does (uvicorn --factory)."""

    def __init__(self, database_url: str, nats_url: str, public_key: Path, gateway_url: str, logs: Path):
        self.env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "CLINIC_ENV": "test",
            "RECORDS_DATABASE_URL": database_url,
            "CLINIC_NATS_URL": nats_url,
            "CLINIC_JWT_PUBLIC_KEY_FILE": str(public_key),
            "CLINIC_DELIVERY_HTTP_URLS": json.dumps({"sms": gateway_url}),
            "CLINIC_DELIVERY_POLL_SECONDS": "0.1",
            "CLINIC_DELIVERY_PROVIDER_TIMEOUT_SECONDS": "5",
            "CLINIC_DELIVERY_LEASE_SECONDS": "6",
            "CLINIC_DELIVERY_BACKOFF_SECONDS": "[0.2]",
        }
        self.logs = logs
        self.procs: list[Proc] = []

    def start(self) -> Proc:
        port = free_port()
        log = self.logs / f"records-{len(self.procs)}.log"
        cmd = [sys.executable, "-m", "uvicorn", "records.main:create_app", "--factory"]
        cmd += ["--host", "127.0.0.1", "--port", str(port)]
        with log.open("wb") as out:
            popen = subprocess.Popen(
                cmd, env=self.env, cwd=ROOT / "services" / "records", stdout=out, stderr=subprocess.STDOUT
            )
        proc = Proc(popen, log, port)
        self.procs.append(proc)
        return proc

    async def ready(self, proc: Proc) -> None:
        async def answers() -> bool:
            if proc.popen.poll() is not None:
                raise AssertionError(f"records exited with {proc.popen.returncode}:\n{proc.tail()}")
            try:
                async with httpx.AsyncClient() as client:
                    return (await client.get(f"http://127.0.0.1:{proc.port}/healthz")).status_code == 200
            except httpx.HTTPError:
                return False

        await eventually(answers, timeout=60, interval=0.2)

    def close(self) -> None:
        for proc in self.procs:
            if proc.popen.poll() is None:
                proc.popen.kill()
            proc.popen.wait(10)


@pytest.fixture
def records_db(database_factory: Any) -> str:
    return str(database_factory("records"))


@pytest.fixture
def records_procs(
    records_db: str,
    nats_server: Any,
    dev_keys: tuple[Path, Path],
    gateway: tuple[Gateway, str],
    tmp_path: Path,
) -> Iterator[Records]:
    procs = Records(records_db, nats_server.url, dev_keys[1], gateway[1], tmp_path)
    try:
        yield procs
    finally:
        procs.close()


async def commit_deliveries(database_url: str, count: int, prefix: str) -> None:
    """What a handler does: record the SMS in its own transaction, and commit."""
    from records.db import platform

    db = Database(database_url)
    try:
        async with db.sessionmaker() as session, session.begin():
            for n in range(count):
                await Deliveries(platform).add(
                    session,
                    channel="sms",
                    recipient=f"+7701000{n:04d}",
                    payload={"text": f"Напоминание о приёме #{n}"},
                    idempotency_key=f"{prefix}-{n}",
                    ref=("notification", f"n-{n}"),
                )
    finally:
        await db.dispose()


async def delivery_rows(database_url: str) -> list[dict[str, Any]]:
    db = Database(database_url)
    try:
        async with db.engine.connect() as conn:
            result = await conn.execute(
                text(
                    "SELECT idempotency_key, status, attempts, outcome FROM deliveries"
                    " ORDER BY idempotency_key"
                )
            )
            return [dict(r) for r in result.mappings()]
    finally:
        await db.dispose()


async def test_process_killed_after_the_commit_before_the_provider_answered_sends_exactly_once(
    records_db: str, records_procs: Records, gateway: tuple[Gateway, str]
) -> None:
    state, _ = gateway
    count = 5
    await commit_deliveries(records_db, count, "kill")
    state.hold = True  # the gateway takes each SMS but does not answer yet
    first = records_procs.start()

    async def all_requested() -> bool:
        return state.snapshot()[0] >= count

    await eventually(all_requested, timeout=60)
    first.popen.send_signal(signal.SIGKILL)  # after the provider took them, before any answer
    assert first.popen.wait(10) == -signal.SIGKILL

    rows = await delivery_rows(records_db)
    assert [(r["status"], r["attempts"], r["outcome"]) for r in rows] == [("pending", 1, None)] * count
    state.hold = False
    state.release.set()

    second = records_procs.start()  # the restarted process; the leases expire, it resends

    async def all_sent() -> list[dict[str, Any]] | None:
        current = await delivery_rows(records_db)
        return current if all(r["status"] == "sent" for r in current) else None

    rows = await eventually(all_sent, timeout=60)
    requests, distinct, effects = state.snapshot()
    print(f"kill test: {count} deliveries, {requests} provider requests, {distinct} keys, {effects} SMS")
    assert (distinct, effects) == (count, count)  # exactly one SMS per delivery
    assert requests == 2 * count  # each was resent once, with the same key
    assert [r["attempts"] for r in rows] == [2] * count
    assert {r["idempotency_key"]: r["outcome"]["reference"] for r in rows} == state.effects
    second.popen.send_signal(signal.SIGTERM)
    second.popen.wait(30)


async def test_two_processes_never_send_one_row_twice_at_once(
    records_db: str, records_procs: Records, gateway: tuple[Gateway, str]
) -> None:
    state, _ = gateway
    state.latency = 0.05
    replicas = [records_procs.start(), records_procs.start()]
    for proc in replicas:
        await records_procs.ready(proc)
    count = 60
    await commit_deliveries(records_db, count, "replica")

    async def all_sent() -> bool:
        return all(r["status"] == "sent" for r in await delivery_rows(records_db))

    await eventually(all_sent, timeout=60)
    requests, distinct, effects = state.snapshot()
    assert state.overlaps == []
    assert (requests, distinct, effects) == (count, count, count)
