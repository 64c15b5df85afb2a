"""`python -m clinic_devstack.bench [--quick] [--only SECTION ...]`: micro-benchmarks of the services.

Starts its own PostgreSQL and NATS (JetStream) under `.data/bench-<pid>/` on ephemeral loopback
ports, gives each section fresh databases cloned from migrated templates, runs the services
in-process (the test kit's `Stack`, driven through httpx's ASGI transport) and prints figures; it
never asserts.

Measured, in this order (sections are numbered as printed; `--only` names them):
  1. records-post: records `POST /v1/patients`: throughput and p50/p95/p99 latency at concurrency
     1 and 8, with and without an Idempotency-Key (and replays of a completed key);
  2. end-to-end: 201 of a registration -> the patient is in scheduling's `patients` projection;
  3. relay: outbox relay (one `OutboxRelay` draining N rows) and scheduling's consumer (inbox
     holds N);
  4. records: card reads with their audit rows, and the reminder scheduler (`bench_records`);
  5. scheduling: free-slot search for a branch-day and for 30 days, and one slot booked by many at
     once (`bench_scheduling`);
  6. billing: payments/s with receipt numbering, ledger and fiscal document; coverage decisions/s
     (`bench_billing`);
  7. home-visits: planned requests `POST /v1/home-visits` at concurrency 1 and 8, one dispatch
     plan of a branch-day, and VROOM against nearest neighbour (`bench_home_visits`).

Client and services share one event loop and the machine's cores with PostgreSQL and NATS, so
the figures compare code paths against each other; they are not a capacity forecast.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import itertools
import logging
import math
import os
import shutil
import signal
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import FrameType
from typing import Any

from clinic_devstack.config import data_dir, repo_root, write_clock_offset
from clinic_devstack.nats import EmbeddedNats
from clinic_devstack.postgres import EmbeddedPostgres, remove_orphaned_clusters

ORG = uuid.UUID("0be00000-0000-4000-8000-0000000000be")
# Overrides of the test kit's settings: the services' default pool, and no per-request log lines.
SERVICE_OVERRIDES: dict[str, Any] = {"db_pool_size": 10, "log_level": "WARNING"}


@dataclass(frozen=True)
class Sizes:
    requests: int  # per POST series
    e2e: int  # registrations timed end to end
    events: int  # outbox rows relayed and consumed
    insert_batch: int  # outbox rows per transaction when filling the outbox
    relay_batch: int  # OutboxRelay.batch_size


FULL = Sizes(requests=200, e2e=50, events=2000, insert_batch=100, relay_batch=100)
QUICK = Sizes(requests=40, e2e=15, events=300, insert_batch=100, relay_batch=100)


# -- figures ---------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:.1f}"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b > 0 and not math.isnan(a) and not math.isnan(b) else "-"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest])

    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


@dataclass
class Series:
    name: str
    latencies: list[float]
    elapsed: float
    errors: dict[int, int]

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed > 0 else math.nan

    def row(self) -> list[str]:
        errors = ", ".join(f"{code}x{n}" for code, n in sorted(self.errors.items())) or "0"
        return [
            self.name,
            str(len(self.latencies)),
            f"{self.throughput:.1f}",
            ms(percentile(self.latencies, 50)),
            ms(percentile(self.latencies, 95)),
            ms(percentile(self.latencies, 99)),
            errors,
        ]


SERIES_HEADERS = ("series", "n", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors")


# -- driving the services --------------------------------------------------------------------------

_serial = itertools.count(1)


def patient_body(n: int) -> dict[str, Any]:
    """A valid registration for the (Russian) bench organization: no IIN, unique document."""
    return {
        "organization_id": str(ORG),
        "last_name": f"Бенчев{n}",
        "first_name": "Пётр",
        "birth_date": "1985-03-02",
        "identity_document": {"kind": "passport", "number": f"45{n // 1_000_000:02d} {n % 1_000_000:06d}"},
        "address": {"text": "Москва, ул. Арбат 1"},
        "phone": "+7 916 000 00 00",
        "personal_data_consent": True,
    }


async def run_series(
    name: str,
    call: Callable[[int], Awaitable[int]],
    count: int,
    concurrency: int,
) -> Series:
    """`count` calls over `concurrency` workers; `call(i)` returns the HTTP status (201/200 = ok)."""
    indexes = iter(range(count))
    latencies: list[float] = []
    errors: dict[int, int] = {}

    async def worker() -> None:
        for i in indexes:  # shared iterator: each index is taken by exactly one worker
            started = time.perf_counter()
            status = await call(i)
            took = time.perf_counter() - started
            if status in (200, 201):
                latencies.append(took)
            else:
                errors[status] = errors.get(status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Series(name, latencies, time.perf_counter() - started, errors)


async def scalar(svc: Any, sql: str, **params: Any) -> Any:
    from sqlalchemy import text

    async with svc.state.db.engine.connect() as conn:
        return await conn.scalar(text(sql), params)


async def wait_until(
    check: Callable[[], Awaitable[bool]],
    timeout: float,  # noqa: ASYNC109  (a polling deadline, not a cancellable call)
    interval: float,
) -> bool:
    """Poll `check` until true or `timeout` has passed (bounded); tell which."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(interval)
    return bool(await check())


# -- the benchmarks --------------------------------------------------------------------------------


async def bench_post_patients(stack: Any, sizes: Sizes, auth_headers: dict[str, str]) -> str:
    from clinic_testkit.stack import organization_event, teach

    records = await stack.start("records", run_workers=False, **SERVICE_OVERRIDES)
    await teach(records, organization_event(ORG, "RU"), aggregate_id=ORG)
    run_id = uuid.uuid4().hex[:8]

    async def post(key: str | None, n: int) -> int:
        headers = dict(auth_headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        r = await records.client.post("/v1/patients", json=patient_body(n), headers=headers)
        return int(r.status_code)

    async def plain(_i: int) -> int:
        return await post(None, next(_serial))

    async def keyed(_i: int) -> int:
        n = next(_serial)
        return await post(f"bench-{run_id}-{n}", n)

    await run_series("warm-up", plain, 10, 2)
    await run_series("warm-up", keyed, 10, 2)
    results: dict[tuple[int, bool], Series] = {}
    for concurrency in (1, 8):
        for with_key in (False, True):
            name = f"c={concurrency} {'Idempotency-Key' if with_key else 'no key'}"
            results[(concurrency, with_key)] = await run_series(
                name, keyed if with_key else plain, sizes.requests, concurrency
            )

    # Replays: the same key and body again answer from the stored response.
    replay_n = next(_serial)
    replay_key = f"bench-{run_id}-replay"
    await post(replay_key, replay_n)
    replay = await run_series(
        "c=1 replay of a done key", lambda _i: post(replay_key, replay_n), sizes.requests, 1
    )
    await stack.stop(records)

    lines = [
        "records POST /v1/patients (records' relay off; client in the same event loop)",
        table(SERIES_HEADERS, [s.row() for s in [*results.values(), replay]]),
        "",
    ]
    ratio_rows = []
    for concurrency in (1, 8):
        bare, keyed_s = results[(concurrency, False)], results[(concurrency, True)]
        ratio_rows.append(
            [
                f"c={concurrency}",
                ratio(bare.throughput, keyed_s.throughput),
                ratio(percentile(keyed_s.latencies, 50), percentile(bare.latencies, 50)),
                ratio(percentile(keyed_s.latencies, 95), percentile(bare.latencies, 95)),
            ]
        )
    lines.append(
        table(
            (
                "idempotency overhead",
                "req/s without / with",
                "p50 with / without",
                "p95 with / without",
            ),
            ratio_rows,
        )
    )
    c1, c8 = results[(1, False)], results[(8, False)]
    lines.append(f"concurrency 8 / 1 throughput (no key): {ratio(c8.throughput, c1.throughput)}")
    lines.append(
        "replay of a done key vs first request, p50: "
        f"{ratio(percentile(replay.latencies, 50), percentile(results[(1, True)].latencies, 50))}"
    )
    return "\n".join(lines)


async def consumers_ready(svc: Any) -> bool:
    # Only records runs here: a consumer of another producer waits for a stream nobody creates.
    return all(c.ready.is_set() for c in svc.state.workers.consumers if c.producer == "records")


async def bench_end_to_end(stack: Any, sizes: Sizes, auth_headers: dict[str, str]) -> str:
    from clinic_testkit.stack import organization_event, teach

    records = await stack.start("records", **SERVICE_OVERRIDES)
    await teach(records, organization_event(ORG, "RU"), aggregate_id=ORG)
    scheduling = await stack.start("scheduling", **SERVICE_OVERRIDES)
    if not await wait_until(lambda: consumers_ready(scheduling), timeout=30, interval=0.05):
        return "end to end: SKIPPED (scheduling's consumer did not become ready within 30 s)"

    async def projected(patient_id: str) -> bool:
        found = await scalar(scheduling, "SELECT count(*) FROM patients WHERE id = :id", id=patient_id)
        return int(found) > 0

    latencies: list[float] = []
    lost = 0
    for i in range(sizes.e2e + 1):  # the first one warms up and is not counted
        r = await records.client.post("/v1/patients", json=patient_body(next(_serial)), headers=auth_headers)
        created = time.perf_counter()
        if r.status_code != 201:
            lost += 1
            continue
        patient_id = str(r.json()["id"])
        if await wait_until(functools.partial(projected, patient_id), timeout=30, interval=0.002):
            if i > 0:
                latencies.append(time.perf_counter() - created)
        else:
            lost += 1
    await stack.close()
    row = [
        "201 -> scheduling.patients",
        str(len(latencies)),
        ms(percentile(latencies, 50)),
        ms(percentile(latencies, 95)),
        ms(max(latencies) if latencies else math.nan),
        str(lost),
    ]
    return "\n".join(
        [
            "end-to-end event latency (sequential registrations; projection polled every 2 ms)",
            table(("path", "n", "p50 ms", "p95 ms", "max ms", "failed/late"), [row]),
        ]
    )


async def bench_relay_and_consumer(stack: Any, sizes: Sizes) -> str:
    from clinic_common.events.catalog import type_of
    from clinic_common.events.outbox import Outbox
    from clinic_common.events.payloads.records import PatientRegistered
    from clinic_common.events.relay import OutboxRelay
    from clinic_common.events.streams import ensure_stream

    records = await stack.start("records", run_workers=False, **SERVICE_OVERRIDES)
    outbox = Outbox(records.state.platform, source="records")
    event_type = type_of(PatientRegistered)

    fill_started = time.perf_counter()
    written = 0
    while written < sizes.events:
        batch = min(sizes.insert_batch, sizes.events - written)
        async with records.state.db.sessionmaker() as session, session.begin():
            for _ in range(batch):
                patient_id = uuid.uuid4()
                await outbox.add(
                    session,
                    type=event_type,
                    aggregate_id=patient_id,
                    now=records.state.clock.now(),
                    data=PatientRegistered(
                        patient_id=patient_id,
                        organization_id=ORG,
                        last_name=f"Relay{written}",
                        first_name="X",
                        birth_date=date(1980, 1, 1),
                        phone="+70000000000",
                        address_text="x",
                    ),
                )
                written += 1
    fill_time = time.perf_counter() - fill_started

    await ensure_stream(await records.state.nats.js(), "records")
    relay = OutboxRelay(
        engine=records.state.db.engine,
        platform=records.state.platform,
        js=records.state.nats.js,
        service="records",
        batch_size=sizes.relay_batch,
    )
    relayed = 0
    relay_started = time.perf_counter()
    for _ in range(sizes.events // sizes.relay_batch + 5):  # bounded: a few more rounds than needed
        sent = await relay.relay_once()
        relayed += sent
        if sent == 0:
            break
    relay_time = time.perf_counter() - relay_started
    backlog = await relay.backlog()

    # Scheduling starts only now, so its consumer drains a stream that already holds every event.
    consumer_started = time.perf_counter()
    scheduling = await stack.start("scheduling", **SERVICE_OVERRIDES)

    async def inbox_full() -> bool:
        return int(await scalar(scheduling, "SELECT count(*) FROM inbox")) >= sizes.events

    await wait_until(lambda: consumers_ready(scheduling), timeout=30, interval=0.005)
    ready_at = time.perf_counter()
    drained = await wait_until(inbox_full, timeout=max(60.0, sizes.events / 10), interval=0.02)
    consumer_time = time.perf_counter() - consumer_started
    after_ready_time = time.perf_counter() - ready_at
    consumed = int(await scalar(scheduling, "SELECT count(*) FROM inbox"))
    await stack.close()

    relay_rate = relayed / relay_time if relay_time > 0 else math.nan
    with_start_rate = consumed / consumer_time if consumer_time > 0 else math.nan
    consumer_rate = consumed / after_ready_time if after_ready_time > 0 else math.nan
    rows = [
        [
            f"fill outbox (Outbox.add, {sizes.insert_batch}/tx)",
            str(written),
            f"{fill_time:.2f}",
            f"{written / fill_time:.0f}",
            "",
        ],
        [
            f"OutboxRelay.relay_once x (batch {sizes.relay_batch})",
            str(relayed),
            f"{relay_time:.2f}",
            f"{relay_rate:.0f}",
            f"backlog left {backlog}",
        ],
        [
            "scheduling consumer -> inbox (incl. start)",
            str(consumed),
            f"{consumer_time:.2f}",
            f"{with_start_rate:.0f}",
            "" if drained else f"TIMED OUT, {consumed}/{sizes.events}",
        ],
        [
            "scheduling consumer -> inbox (from ready)",
            str(consumed),
            f"{after_ready_time:.2f}",
            f"{consumer_rate:.0f}",
            "",
        ],
    ]
    return "\n".join(
        [
            "outbox relay and consumer throughput (run one after the other, not overlapped)",
            table(("stage", "events", "s", "events/s", "note"), rows),
            f"relay / consumer (from ready) throughput: {ratio(relay_rate, consumer_rate)}",
        ]
    )


# The sections in the order they run and are numbered in; `--only` takes these names.
SECTIONS = ("records-post", "end-to-end", "relay", "records", "scheduling", "billing", "home-visits")


async def run_benchmarks(
    factory: Any,
    nats_url: str,
    public_key: Path,
    clock_file: Path,
    token: Any,
    sizes: Sizes,
    only: Sequence[str] = SECTIONS,
) -> list[str]:
    from clinic_devstack import bench_billing, bench_home_visits, bench_records, bench_scheduling
    from clinic_testkit.stack import Stack, auth, clean_jetstream

    # Each service stop logs "nats disconnected" (WARNING); that is teardown noise here.
    logging.getLogger("clinic_common.events.nats_conn").setLevel(logging.ERROR)
    headers = auth(token("registrar", org=str(ORG)))
    sections: list[str] = []
    benches: dict[str, Callable[[Any], Awaitable[str]]] = {
        "records-post": lambda s: bench_post_patients(s, sizes, headers),
        "end-to-end": lambda s: bench_end_to_end(s, sizes, headers),
        "relay": lambda s: bench_relay_and_consumer(s, sizes),
        "records": lambda s: bench_records.bench_records(s, sizes.requests, SERVICE_OVERRIDES),
        "scheduling": lambda s: bench_scheduling.bench_scheduling(s, sizes.requests, SERVICE_OVERRIDES),
        "billing": lambda s: bench_billing.bench_billing(s, sizes.requests, SERVICE_OVERRIDES),
        "home-visits": lambda s: bench_home_visits.bench_home_visits(s, sizes.requests, SERVICE_OVERRIDES),
    }
    for number, name in enumerate(SECTIONS, start=1):
        if name not in only:
            continue
        await clean_jetstream(nats_url)  # each bench: fresh databases and empty streams
        stack = Stack(factory, nats_url, public_key, clock_file, token)
        try:
            section = await benches[name](stack)
        finally:
            await stack.close()
        section = f"{number}. {section}"  # numbered here, so that they are numbered as printed
        print(section + "\n", flush=True)
        sections.append(section)
    return sections


# -- process -----------------------------------------------------------------------------------------


def _sigterm_as_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt("SIGTERM")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m clinic_devstack.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="small counts: a check that it runs")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=SECTIONS,
        default=list(SECTIONS),
        metavar="SECTION",
        help=f"run only these sections (numbered as in the full run): {', '.join(SECTIONS)}",
    )
    parser.add_argument(
        "--no-fsync", action="store_true", help="PostgreSQL with fsync/synchronous_commit off (as the tests)"
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    started = time.monotonic()
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _sigterm_as_interrupt)

    root = repo_root()
    bench_dir = data_dir(root) / f"bench-{os.getpid()}"
    bench_dir.mkdir(parents=True, exist_ok=True)
    pg = EmbeddedPostgres(bench_dir / "pg", durable=not args.no_fsync)
    nats = EmbeddedNats(bench_dir / "nats")
    factory: Any = None
    status = 0
    print(
        f"clinic bench ({'quick' if args.quick else 'full'}): {sizes.requests} requests/series, "
        f"{sizes.e2e} end-to-end, {sizes.events} events; PostgreSQL fsync "
        f"{'off' if args.no_fsync else 'on'}; {os.cpu_count()} CPUs; data in {bench_dir}",
        flush=True,
    )
    try:
        from clinic_common.auth.dev import ensure_dev_keypair, issue_dev_token
        from clinic_testkit.databases import DatabaseFactory, TemplateCache

        pg.start()
        nats.start()
        print(f"PostgreSQL on 127.0.0.1:{pg.port}, NATS on {nats.url}", flush=True)
        private_key, public_key = ensure_dev_keypair(bench_dir / "keys")
        clock_file = bench_dir / "clock.json"
        write_clock_offset(clock_file, 0.0)

        def token(role: str, org: str | None = None, **claims: Any) -> str:
            return issue_dev_token(private_key, role=role, org=org, **claims)

        templates = TemplateCache(pg, root)
        setup = time.monotonic()
        for service in ("records", "scheduling"):
            templates.migrated_template(service)
        factory = DatabaseFactory(templates)
        print(f"migrated templates in {time.monotonic() - setup:.1f} s\n", flush=True)
        asyncio.run(run_benchmarks(factory, nats.url, public_key, clock_file, token, sizes, args.only))
    except KeyboardInterrupt:
        print("\ninterrupted; stopping", file=sys.stderr, flush=True)
        status = 130
    finally:
        if factory is not None:
            with contextlib.suppress(Exception):
                factory.close()
        with contextlib.suppress(Exception):
            nats.stop()
        with contextlib.suppress(Exception):
            pg.stop()
        shutil.rmtree(bench_dir, ignore_errors=True)
        remove_orphaned_clusters()  # as root the cluster lives outside bench_dir
        print(f"total time {time.monotonic() - started:.1f} s", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
