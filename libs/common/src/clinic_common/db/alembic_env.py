"""The body of every service's `migrations/env.py`: async online migrations, offline SQL.

Online migrations run under a transaction-scoped advisory lock, so when two `migrate` processes
start together (a retried migration Job beside a slow one, two applies: deploy/k8s) one migrates
and the other waits, then finds the database at head and does nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import zlib

from alembic import context
from sqlalchemy import MetaData, func, pool, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config

from clinic_common.settings import to_asyncpg_url

log = logging.getLogger("alembic.runtime.migration")

# Advisory locks are per database, so one key serves every service. Distinct from the relay's
# keys (clinic_common.events.relay), which are crc32s of other strings.
MIGRATION_LOCK_KEY = zlib.crc32(b"clinic-alembic-migrate")


def run_env(metadata: MetaData, url_env: str) -> None:
    config = context.config
    url = os.environ.get(url_env) or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError(f"set {url_env} to migrate")
    url = to_asyncpg_url(url)

    def configure(connection: Connection | None = None) -> None:
        context.configure(
            connection=connection,
            url=None if connection is not None else url,
            target_metadata=metadata,
            compare_type=True,
            compare_server_default=True,
            literal_binds=connection is None,
        )

    if context.is_offline_mode():
        configure()
        with context.begin_transaction():
            context.run_migrations()
        return

    def do_run(connection: Connection) -> None:
        configure(connection)
        with context.begin_transaction():
            # Held until this transaction ends (DDL is transactional in PostgreSQL). Alembic reads
            # the current revision only after it, so a waiter sees the winner's commit.
            if not connection.scalar(select(func.pg_try_advisory_xact_lock(MIGRATION_LOCK_KEY))):
                log.info("Waiting for the migration lock (another process is migrating)")
                connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
            context.run_migrations()

    async def online() -> None:
        engine = async_engine_from_config(
            {"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool
        )
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    existing = context.config.attributes.get("connection")
    if existing is not None:
        do_run(existing)
    else:
        asyncio.run(online())
