"""The per-service command line: `python -m <service>.cli migrate|wait-migrated|check|seed`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, pool
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from clinic_common.clock import clock_from_settings
from clinic_common.db import Database
from clinic_common.settings import ServiceSettings, to_asyncpg_url

log = logging.getLogger("clinic_common.cli")

SeedFn = Callable[[AsyncSession, ServiceSettings], Awaitable[None]]


def alembic_config(service_dir: Path, url: str) -> Config:
    cfg = Config(str(service_dir / "alembic.ini"))
    cfg.set_main_option("script_location", str(service_dir / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


async def _seed(settings: ServiceSettings, seed: SeedFn) -> None:
    db = Database(settings.database_url, pool_size=1)
    try:
        async with db.sessionmaker() as session, session.begin():
            await seed(session, settings)
    finally:
        await db.dispose()


async def _current_revisions(url: str) -> set[str]:
    engine = create_async_engine(to_asyncpg_url(url), poolclass=pool.NullPool)
    try:
        async with engine.connect() as conn:

            def read(sync: Connection) -> set[str]:
                return set(MigrationContext.configure(sync).get_current_heads())

            return await conn.run_sync(read)
    finally:
        await engine.dispose()


def schema_ready(current: set[str], script: ScriptDirectory) -> bool:
    """At this release's head, or at a revision it does not know: a newer release migrated, and
    expand-then-contract (deploy/README.md) keeps this one working on that schema."""
    if current == set(script.get_heads()):
        return True
    known = {revision.revision for revision in script.walk_revisions()}
    return bool(current) and not current <= known


def wait_migrated(cfg: Config, url: str, timeout: float, interval: float = 2.0) -> int:
    """The Deployment's init container: block until the migration Job has brought the schema to
    this release's head, so no pod of a new release serves on an old schema."""
    script = ScriptDirectory.from_config(cfg)
    deadline = time.monotonic() + timeout
    while True:
        try:
            current = asyncio.run(_current_revisions(url))
        except Exception as exc:  # the database may not be up yet on a first install
            log.warning("database not reachable yet: %s", exc)
            current = set()
        if schema_ready(current, script):
            log.warning("schema at %s", ", ".join(sorted(current)))
            return 0
        if time.monotonic() >= deadline:
            log.error("schema at %s, this release needs %s", sorted(current) or "nothing", script.get_heads())
            return 1
        time.sleep(interval)


def run_cli(service_dir: Path, settings: ServiceSettings, seed: SeedFn, argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {settings.service_name}.cli")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("migrate", help="upgrade the database to the latest migration")
    wait = sub.add_parser("wait-migrated", help="wait until the database is at this release's head")
    wait.add_argument("--timeout", type=float, default=1800.0, help="seconds before giving up")
    sub.add_parser("check", help="fail if the models and the migrations differ")
    sub.add_parser("seed", help="load the demo data (safe to run again)")
    args = parser.parse_args(argv)
    cfg = alembic_config(service_dir, settings.database_url)
    if args.cmd == "migrate":
        # Each step on stderr ("Running upgrade a -> b", "Waiting for the migration lock"): what
        # `kubectl logs -c migrate` shows during a rollout.
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        logging.getLogger("alembic").setLevel(logging.INFO)
        command.upgrade(cfg, "head")
    elif args.cmd == "wait-migrated":
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        return wait_migrated(cfg, settings.database_url, args.timeout)
    elif args.cmd == "check":
        command.check(cfg)
    elif args.cmd == "seed":
        clock_from_settings(settings.clock_file, settings.clock_start)
        asyncio.run(_seed(settings, seed))
    return 0


def main_guard(code: int) -> None:
    sys.exit(code)
