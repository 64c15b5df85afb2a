"""Fixtures of the devstack tests: fake service packages the runner and the template cache drive."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

FAKE_CLI = """
import os, subprocess, sys
from collections.abc import Callable
from pathlib import Path

import pytest

PKG = __package__
PREFIX = PKG.upper() + "_"

def psql(url: str, sql: str) -> None:
    cmd = [os.environ["FAKE_PSQL"], "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql]
    subprocess.run(cmd, check=True)


def main() -> None:
    step = sys.argv[1]
    url = os.environ[PREFIX + "DATABASE_URL"]
    markers = os.environ.get("FAKE_MARKERS")
    if markers:
        Path(markers, f"{PKG}-{step}").write_text(url)
    if step == "migrate":
        psql(url, "CREATE EXTENSION IF NOT EXISTS btree_gist")
        psql(url, "CREATE TABLE IF NOT EXISTS things (id int primary key)")
    if step == "seed":
        psql(url, "INSERT INTO things VALUES (1) ON CONFLICT DO NOTHING")
    if os.environ.get("FAKE_FAIL_STEP") == f"{PKG}-{step}":
        print("boom: failing on purpose", flush=True)
        sys.exit(4)
    print(f"{PKG} {step} done", flush=True)

main()
"""

FAKE_MAIN = """
import os, threading
from fastapi import FastAPI

def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/readyz")
    def readyz() -> dict[str, str]:
        return {
            "clock": os.environ["CLINIC_CLOCK_FILE"],
            "nats": os.environ["CLINIC_NATS_URL"],
            "db": os.environ[__package__.upper() + "_DATABASE_URL"],
            "env": os.environ["CLINIC_ENV"],
            "key": os.environ["CLINIC_JWT_PUBLIC_KEY_FILE"],
            "issuer": os.environ["CLINIC_JWT_ISSUER"],
        }

    die_after = os.environ.get("FAKE_DIE_AFTER_" + __package__)
    if die_after:
        threading.Timer(float(die_after), lambda: os._exit(3)).start()
    return app
"""


def write_fake_service(base: Path, package: str) -> None:
    """A package with `cli` (migrate/seed) and `main.create_app` the runner can drive."""
    pkg = base / package
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "cli.py").write_text(textwrap.dedent(FAKE_CLI))
    (pkg / "main.py").write_text(textwrap.dedent(FAKE_MAIN))


@pytest.fixture
def fake_service() -> Callable[[Path, str], None]:
    return write_fake_service
