"""Fixtures of the system tests: a `stack` of in-process services on real PostgreSQL and NATS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from clinic_testkit.stack import Stack, clean_jetstream


@pytest.fixture
async def stack(
    database_factory: Any, nats_server: Any, dev_keys: tuple[Path, Path], clock_file: Path, token_factory: Any
) -> AsyncIterator[Stack]:
    await clean_jetstream(nats_server.url)
    s = Stack(database_factory, nats_server.url, dev_keys[1], clock_file, token_factory)
    try:
        yield s
    finally:
        await s.close()
