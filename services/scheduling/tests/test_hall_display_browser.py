"""The hall display in a real browser (SCH-14): headless Chromium from Debian's `chromium` package,
driven by Playwright (no browser download: `executable_path=/usr/bin/chromium`). The page loads,
shows the queue's numbers, changes within 2 s of call-next with a sound, and keeps working
after its server went away and came back (the EventSource reconnects)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest
import uvicorn
from fastapi import FastAPI

from clinic_common.demo import MOSCOW_BRANCH_ARBAT_ID, ORG_MOSCOW_ID, practitioner_id

if TYPE_CHECKING:
    from conftest import World

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright_api = pytest.importorskip(
    "playwright.async_api", reason="playwright (requirements-dev.txt) is not installed"
)
if CHROMIUM is None:
    pytest.skip(
        "Debian's chromium is not installed (make test installs it with apt-get when run as root)",
        allow_module_level=True,
    )

ARBAT_THERAPIST = practitioner_id(ORG_MOSCOW_ID, 1, 1)
# The flags Chromium needs on these machines (no sandbox as root, a closed network).
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


@contextlib.asynccontextmanager
async def serve(app: FastAPI, port: int = 0) -> AsyncIterator[int]:
    """The started app behind a real uvicorn on 127.0.0.1 (the given port, or a free one)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    server = uvicorn.Server(
        uvicorn.Config(
            app, lifespan="off", log_level="warning", access_log=False, timeout_graceful_shutdown=1
        )
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        yield int(sock.getsockname()[1])
    finally:
        server.should_exit = True  # open event streams are cancelled after the 1 s grace
        await task
        sock.close()


async def arrive(world: World, count: int) -> None:
    answers = await world.arrive_on_time(ARBAT_THERAPIST, ORG_MOSCOW_ID, count)
    assert [a["queue"]["number"] for a in answers] == list(range(1, count + 1))


async def text_of(page: Any, selector: str) -> str:
    return str(await page.locator(selector).inner_text())


async def waiting(page: Any) -> list[str]:
    return list(
        await page.evaluate("[...document.querySelectorAll('.waiting span')].map(s => s.textContent)")
    )


async def test_SCH_14_hall_display_live_in_chromium(world: World) -> None:
    await arrive(world, 3)
    call_next = f"/v1/queues/{ARBAT_THERAPIST}/call-next"
    doctor = world.staff("doctor", ORG_MOSCOW_ID)
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = await browser.new_page()
            async with serve(world.svc.app) as port:
                await page.goto(f"http://127.0.0.1:{port}/v1/branches/{MOSCOW_BRANCH_ARBAT_ID}/display")
                await page.wait_for_function(
                    "document.getElementById('state').textContent === 'live'", timeout=10_000
                )
                await page.wait_for_function(
                    "document.querySelectorAll('.waiting span').length === 3", timeout=5_000
                )
                assert await text_of(page, ".room h2") == "Therapist"
                assert await waiting(page) == ["1", "2", "3"]
                assert await text_of(page, "#last") == "—"
                body = await page.content()
                assert "Testova" not in body  # numbers, never names

                assert (await world.client.post(call_next, headers=doctor)).status_code == 200
                loop = asyncio.get_running_loop()
                called_at = loop.time()
                await page.wait_for_function(
                    "document.getElementById('last').textContent === '1'", timeout=2_000
                )
                assert loop.time() - called_at < 2.0
                assert await page.evaluate("document.body.dataset.sounds") == "1"  # one sound per call
                assert await waiting(page) == ["2", "3"]

            # the server is gone: the page says so and keeps trying
            await page.wait_for_function(
                "document.getElementById('state').textContent !== 'live'", timeout=10_000
            )
            assert (await world.client.post(call_next, headers=doctor)).status_code == 200  # called meanwhile
            async with serve(world.svc.app, port):
                await page.wait_for_function(
                    "document.getElementById('last').textContent === '2'", timeout=15_000
                )
                await page.wait_for_function(
                    "document.getElementById('state').textContent === 'live'", timeout=5_000
                )
                assert await page.evaluate("document.body.dataset.sounds") == "2"
                assert (await world.client.post(call_next, headers=doctor)).status_code == 200
                await page.wait_for_function(
                    "document.getElementById('last').textContent === '3'", timeout=2_000
                )
                assert await waiting(page) == []
        finally:
            await browser.close()
