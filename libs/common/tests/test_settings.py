"""ServiceSettings: production guards, the asyncpg URL and switching databases."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from clinic_common.settings import ServiceSettings, to_asyncpg_url, with_database

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read the environment: start each test from none of the CLINIC_ variables."""
    for name in list(os.environ):
        if name.startswith("CLINIC_"):
            monkeypatch.delenv(name)


def test_defaults_are_production() -> None:
    """Issue 5: development mode is never the default; only CLINIC_ENV turns it on."""
    s = ServiceSettings()
    assert s.env == "production"
    assert not s.dev_mode
    assert s.clock_file is None
    assert s.async_database_url.startswith("postgresql+asyncpg://")


@pytest.mark.parametrize("env", ["development", "test"])
def test_dev_mode_only_when_the_environment_says_so(monkeypatch: pytest.MonkeyPatch, env: str) -> None:
    monkeypatch.setenv("CLINIC_ENV", env)
    assert ServiceSettings().dev_mode


def test_production_settings_load_without_jwt_keys() -> None:
    """`python -m <service>.cli migrate|check|seed` read these settings and never verify a token;
    the key source is checked where the verifier is built (test_auth_production.py)."""
    s = ServiceSettings(env="production", database_url="postgresql://u@db.example/clinic")
    assert s.env == "production" and s.jwt_jwks_url is None and s.jwt_public_key_file is None


def test_production_with_a_public_key_is_accepted(tmp_path: Path) -> None:
    key = tmp_path / "public.pem"
    s = ServiceSettings(env="production", jwt_public_key_file=key)
    assert not s.dev_mode
    assert ServiceSettings(env="production", jwt_public_key="-----BEGIN PUBLIC KEY-----").env == "production"
    assert ServiceSettings(env="production", jwt_jwks_url="https://idp/jwks").env == "production"


@pytest.mark.parametrize(
    "clock",
    [{"clock_file": Path("/tmp/clock.json")}, {"clock_start": "2030-01-01T09:00:00+05:00"}],
)
def test_production_refuses_the_dev_clock(clock: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="refused in production"):
        ServiceSettings(env="production", jwt_jwks_url="https://idp/jwks", **clock)


@pytest.mark.parametrize("env", ["development", "test"])
def test_dev_clock_allowed_outside_production(env: str) -> None:
    s = ServiceSettings(env=env, clock_file=Path("/tmp/c.json"), clock_start="2030-01-01T00:00:00Z")
    assert s.dev_mode and s.clock_file == Path("/tmp/c.json")


def test_production_guard_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINIC_ENV", "production")
    monkeypatch.setenv("CLINIC_JWT_JWKS_URL", "https://idp/jwks")
    monkeypatch.setenv("CLINIC_CLOCK_START", "2030-01-01T00:00:00Z")
    with pytest.raises(ValidationError, match="refused in production"):
        ServiceSettings()
    monkeypatch.delenv("CLINIC_CLOCK_START")
    monkeypatch.setenv("CLINIC_CLOCK_FILE", "/tmp/clock.json")
    with pytest.raises(ValidationError, match="refused in production"):
        ServiceSettings()
    monkeypatch.delenv("CLINIC_CLOCK_FILE")
    assert ServiceSettings().env == "production"


@pytest.mark.parametrize(
    "scheme", ["postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2", "postgresql+asyncpg"]
)
def test_to_asyncpg_url_switches_driver(scheme: str) -> None:
    url = to_asyncpg_url(f"{scheme}://user:pw@db.example:5432/clinic")
    assert url == "postgresql+asyncpg://user:pw@db.example:5432/clinic"


def test_to_asyncpg_url_keeps_socket_host_and_port() -> None:
    url = to_asyncpg_url("postgresql://postgres@/clinic?host=/tmp/pg%20sock&port=5433")
    parsed = make_url(url)
    assert parsed.drivername == "postgresql+asyncpg"
    assert parsed.database == "clinic"
    assert parsed.username == "postgres"
    assert dict(parsed.query) == {"host": "/tmp/pg sock", "port": "5433"}


def test_to_asyncpg_url_keeps_repeated_hosts() -> None:
    url = to_asyncpg_url("postgresql://u@/d?host=h1:5432&host=h2:5433")
    assert make_url(url).query["host"] == ("h1:5432", "h2:5433")


def test_with_database_replaces_only_the_database() -> None:
    assert (
        with_database("postgresql://u:p@h:5433/old?host=/s&port=5433", "new")
        == "postgresql://u:p@h:5433/new?host=/s&port=5433"
    )
    assert with_database("postgresql://u@h", "other") == "postgresql://u@h/other"
    assert make_url(to_asyncpg_url(with_database("postgres://u@/x?host=/run", "y"))).query == {"host": "/run"}


@pytest.mark.integration
def test_cli_runs_in_production_without_jwt_settings(database_factory: Any) -> None:
    """Issue 5: with production the default, `python -m <service>.cli migrate|check|seed` (the k8s
    migration Job, the devstack and the test templates) still run with no CLINIC_ variable at all."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_")}
    env["RECORDS_DATABASE_URL"] = database_factory.empty_database()
    service_dir = Path(__file__).resolve().parents[3] / "services" / "records"
    for command in ("migrate", "check", "seed"):
        proc = subprocess.run(
            [sys.executable, "-m", "records.cli", command],
            env=env,
            cwd=service_dir,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert proc.returncode == 0, (command, proc.stdout + proc.stderr)
