"""An outage of the service's own database (the event is held, no attempt used up) versus a
failing handler (counted towards parking), and the retention floor in production."""

from __future__ import annotations

from typing import Any

import pytest

from clinic_common.db import Database
from clinic_common.events.outages import DatabaseGate
from clinic_common.settings import ServiceSettings
from clinic_devstack.ports import free_port

pytestmark = pytest.mark.integration


async def test_a_failure_is_an_outage_only_while_the_database_does_not_answer(database_factory: Any) -> None:
    live = Database(database_factory.empty_database(), pool_size=1)
    gone = Database(f"postgresql://postgres@127.0.0.1:{free_port()}/nothing_listens_here", pool_size=1)
    try:
        answering = DatabaseGate(live.sessionmaker)
        assert not await answering.is_outage()  # the handler failed on its own: counted
        assert not answering.is_down
        await answering.wait_until_up()  # returns at once

        away = DatabaseGate(gone.sessionmaker, probe_timeout=1.0)
        assert await away.is_outage()  # held: no attempt is used up
        assert away.is_down and away.outages == 1 and away.down_for() >= 0
        assert away.down_since is not None
    finally:
        await live.dispose()
        await gone.dispose()


def test_production_keeps_inbox_ids_a_day_at_least() -> None:
    base = {"env": "production", "jwt_public_key": "k"}
    with pytest.raises(ValueError, match="INBOX_RETENTION"):
        ServiceSettings(**base, inbox_retention_seconds=3600)
    assert ServiceSettings(**base).inbox_retention_seconds >= 86400
    assert ServiceSettings(env="test", inbox_retention_seconds=1).inbox_retention_seconds == 1
