"""The live schema has every constraint the models and migrations declare, exclusion ones included.

Alembic's autogenerate does not compare exclusion constraints, so this test reads them from
PostgreSQL's catalogue; `cli check` then proves there is no other drift.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import MetaData, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.schema import CreateIndex, CreateTable

from clinic_common.settings import to_asyncpg_url

pytestmark = pytest.mark.integration

SERVICES = {
    "scheduling": "scheduling",
    "billing": "billing",
    "records": "records",
    "home-visits": "home_visits",
}


def declared(metadata: MetaData) -> tuple[set[str], set[str]]:
    """Constraint and index names exactly as the DDL of the models would create them."""
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    constraints: set[str] = set()
    indexes: set[str] = set()
    for table in metadata.sorted_tables:
        ddl = str(CreateTable(table).compile(dialect=dialect))
        constraints |= set(re.findall(r"CONSTRAINT (\w+)", ddl))
        for index in table.indexes:
            indexes.add(re.findall(r"INDEX (\w+)", str(CreateIndex(index).compile(dialect=dialect)))[0])
    return constraints, indexes


async def live(url: str) -> tuple[set[str], set[str], dict[str, str]]:
    engine = create_async_engine(to_asyncpg_url(url))
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT c.conname, c.contype::text, pg_get_constraintdef(c.oid) FROM pg_constraint c "
                        "JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public' "
                        "AND c.contype IN ('c', 'u', 'p', 'f', 'x')"
                    )
                )
            ).all()
            index_rows = (
                await conn.execute(text("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"))
            ).all()
    finally:
        await engine.dispose()
    exclusions = {name: definition for name, kind, definition in rows if kind == "x"}
    return {r[0] for r in rows}, {r[0] for r in index_rows}, exclusions


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_live_schema_has_every_declared_constraint(service: str, database_factory: Any) -> None:
    pkg = SERVICES[service]
    importlib.import_module(f"{pkg}.models")
    metadata = importlib.import_module(f"{pkg}.db").Base.metadata
    want_constraints, want_indexes = declared(metadata)
    have_constraints, have_indexes, _ = await live(database_factory(service))
    assert want_constraints, "the models declare constraints"
    assert want_constraints - have_constraints == set()
    assert want_indexes - have_indexes == set()


async def test_SCH_4_exclusion_constraints_are_live(database_factory: Any) -> None:
    _, _, exclusions = await live(database_factory("scheduling"))
    for name, column in (
        ("ex_appointments_practitioner_overlap", "practitioner_id"),
        ("ex_appointments_patient_overlap", "patient_id"),
    ):
        definition = exclusions[name]
        assert "USING gist" in definition
        assert f"{column} WITH =" in definition
        assert "tstzrange(start_at, end_at" in definition and "WITH &&" in definition
        assert "'booked'" in definition and "'arrived'" in definition


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_migrations_and_models_do_not_drift(service: str, database_factory: Any) -> None:
    pkg = SERVICES[service]
    prefix = pkg.upper() + "_"
    env = {**os.environ, f"{prefix}DATABASE_URL": database_factory(service)}
    done = subprocess.run(
        [sys.executable, "-m", f"{pkg}.cli", "check"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
