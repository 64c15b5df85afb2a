"""A NATS connection that keeps trying forever, also when the server is down at start."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext

log = logging.getLogger(__name__)


class NatsConnection:
    """Connects in the background; `js()` waits until connected."""

    def __init__(self, url: str, name: str) -> None:
        self.url = url
        self.name = name
        self._nc: Client | None = None
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect_forever(), name=f"nats-connect-{self.name}")

    async def _connect_forever(self) -> None:
        delay = 0.2
        while True:
            try:
                self._nc = await nats.connect(
                    self.url,
                    name=self.name,
                    max_reconnect_attempts=-1,  # reconnect forever (architecture.md, Events)
                    reconnect_time_wait=1,
                    connect_timeout=2,
                    allow_reconnect=True,
                    error_cb=self._on_error,
                    disconnected_cb=self._on_disconnected,
                    reconnected_cb=self._on_reconnected,
                )
                self._connected.set()
                log.info("nats connected", extra={"url": self.url})
                return
            except Exception as exc:  # NoServersError, OSError, timeouts: keep trying
                log.warning("nats connect failed: %s; retrying", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _on_error(self, exc: Exception) -> None:
        log.debug("nats error: %s", exc)

    async def _on_disconnected(self) -> None:
        log.warning("nats disconnected")

    async def _on_reconnected(self) -> None:
        log.info("nats reconnected")

    @property
    def is_connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    def max_payload(self) -> int | None:
        """The server's max_payload (headers and body), once connected."""
        return self._nc.max_payload if self._nc is not None and self._nc.is_connected else None

    async def wait_connected(self) -> Client:
        await self._connected.wait()
        assert self._nc is not None
        return self._nc

    async def js(self) -> JetStreamContext:
        nc = await self.wait_connected()
        return nc.jetstream(timeout=5)

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._nc is not None and not self._nc.is_closed:
            with contextlib.suppress(Exception):
                await self._nc.close()
