"""Background tasks stop on shutdown even when a cancellation is swallowed once; sweeps survive failures."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from clinic_common.background import Periodic, stop_tasks

pytestmark = pytest.mark.unit


async def test_a_task_that_swallows_one_cancellation_is_still_stopped() -> None:
    """What asyncio.wait_for does on Python 3.11 when a result races the cancellation."""
    swallowed = 0

    async def stubborn() -> None:
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if swallowed == 0:
                    swallowed += 1
                    continue
                raise

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    await asyncio.wait_for(stop_tasks([task], grace=5), timeout=10)
    assert task.cancelled() and swallowed == 1


async def test_a_task_that_never_stops_is_abandoned_after_the_grace() -> None:
    async def immortal() -> None:
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                continue

    task = asyncio.create_task(immortal())
    await asyncio.sleep(0)
    await asyncio.wait_for(stop_tasks([task], grace=0.6), timeout=5)
    assert not task.done()
    task.get_coro().close()  # type: ignore[union-attr]


async def test_a_failing_tick_is_logged_and_the_next_round_runs() -> None:
    rounds: list[int] = []
    third = asyncio.Event()

    async def tick(app: Any) -> None:
        rounds.append(len(rounds))
        if len(rounds) == 3:
            third.set()
        if len(rounds) == 1:
            raise RuntimeError("the database is away")

    periodic = Periodic("sweep", lambda settings: settings.every, tick)
    app = SimpleNamespace(state=SimpleNamespace(settings=SimpleNamespace(every=0.01)))
    task = asyncio.create_task(periodic.run(app))  # type: ignore[arg-type]
    try:
        await asyncio.wait_for(third.wait(), timeout=5)
    finally:
        await stop_tasks([task])
    assert rounds[:3] == [0, 1, 2]
