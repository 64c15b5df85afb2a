"""Two replicas starting together never migrate twice: `migrate` waits for an advisory lock.

The test holds the lock itself, starts two `python -m scheduling.cli migrate` processes on one
fresh database, waits until both are blocked on the lock, then lets go: one runs the upgrades,
the other finds the database at head and does nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import pytest

from clinic_common.db.alembic_env import MIGRATION_LOCK_KEY
from clinic_testkit.stack import eventually

pytestmark = pytest.mark.integration


def _connect_args(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return {
        "user": parts.username or "postgres",
        "database": parts.path.lstrip("/"),
        "host": query.get("host") or parts.hostname,
        "port": int(query.get("port") or parts.port or 5432),
    }


def _migrate(url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "SCHEDULING_DATABASE_URL": url, "CLINIC_ENV": "test", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "scheduling.cli", "migrate"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


async def test_two_concurrent_migrations_run_the_upgrades_once(database_factory: Any) -> None:
    url = database_factory.empty_database()
    holder = await asyncpg.connect(**_connect_args(url))
    try:
        holder_tx = holder.transaction()
        await holder_tx.start()
        await holder.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK_KEY)
        first, second = _migrate(url), _migrate(url)

        async def both_waiting() -> bool:
            waiting = await holder.fetchval(
                "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
                " WHERE l.locktype = 'advisory' AND NOT l.granted AND l.objid = $1"
                " AND d.datname = current_database()",
                MIGRATION_LOCK_KEY,
            )
            return bool(waiting == 2)

        await eventually(both_waiting, timeout=60)
        await holder_tx.rollback()
        outputs = [p.communicate(timeout=120)[0] for p in (first, second)]
        assert [first.returncode, second.returncode] == [0, 0], outputs
        upgraded = [o for o in outputs if "Running upgrade" in o]
        assert len(upgraded) == 1, outputs
        assert all("Waiting for the migration lock" in o for o in outputs), outputs
        assert await holder.fetchval("SELECT count(*) FROM alembic_version") == 1
    finally:
        await holder.close()


def test_wait_migrated_accepts_this_head_or_a_newer_schema_only() -> None:
    """A pod of release N serves on N's head, or on a schema a newer release migrated (rolling
    back under expand-then-contract); never on an older or an empty one."""
    from alembic.script import ScriptDirectory

    from clinic_common.cli import alembic_config, schema_ready

    from scheduling.cli import SERVICE_DIR

    script = ScriptDirectory.from_config(alembic_config(SERVICE_DIR, "postgresql://unused/x"))
    heads = set(script.get_heads())
    older = {r.down_revision for r in script.walk_revisions() if r.revision in heads}
    assert schema_ready(heads, script)
    assert schema_ready({"a_revision_of_a_newer_release"}, script)
    assert not schema_ready({str(r) for r in older if r}, script)
    assert not schema_ready(set(), script)
