"""The per-service command line: `python -m <service>.cli migrate|seed|check`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.clock import clock_from_settings
from clinic_common.db import Database
from clinic_common.settings import ServiceSettings

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


def run_cli(service_dir: Path, settings: ServiceSettings, seed: SeedFn, argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {settings.service_name}.cli")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("migrate", help="upgrade the database to the latest migration")
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
    elif args.cmd == "check":
        command.check(cfg)
    elif args.cmd == "seed":
        clock_from_settings(settings.clock_file, settings.clock_start)
        asyncio.run(_seed(settings, seed))
    return 0


def main_guard(code: int) -> None:
    sys.exit(code)
