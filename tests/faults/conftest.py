"""Fault tests: real service processes (uvicorn, as `make run` starts them), killed with SIGKILL.

Each test has its own NATS server and fresh databases (`clinic_testkit.faultbed`); the figures of
every test (events sent, effects counted, duplicates dropped by JetStream and by the inbox) are
printed at the end of the run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from clinic_testkit.faultbed import FIGURES, FaultBed


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if not FIGURES:
        return
    terminalreporter.section("fault tests: real kills, measured")
    for row in FIGURES:
        row = dict(row)
        notes = "; ".join(row.pop("notes"))
        name = row.pop("test")
        terminalreporter.write_line(f"{name}: " + ", ".join(f"{k}={v}" for k, v in row.items()))
        if notes:
            terminalreporter.write_line(f"    {notes}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call" and report.failed:
        processes = getattr(item, "funcargs", {}).get("service_processes")
        for proc in getattr(processes, "started", []):  # what each process said, for the failure
            report.sections.append((f"log of {proc.label} (pid {proc.pid})", proc.log_tail(60)))
    return report


@pytest.fixture
async def bed(
    service_processes: Any, database_factory: Any, nats_factory: Any, token_factory: Any
) -> AsyncIterator[FaultBed]:
    fault_bed = FaultBed(service_processes, database_factory, nats_factory, token_factory)
    await fault_bed.setup()
    yield fault_bed
    service_processes.close()  # before the databases are dropped
