"""The development clock: one offset shared by every service (architecture.md, clock)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from clinic_testkit.stack import Stack

pytestmark = pytest.mark.e2e


async def test_dev_clock_moves_every_service_together(stack: Stack) -> None:
    services = [
        await stack.start(name, run_workers=False)
        for name in ("scheduling", "billing", "records", "home-visits")
    ]
    target = "2031-03-08T11:59:00+03:00"
    r = await services[2].client.put("/_dev/clock", json={"now": target})
    assert r.status_code == 200, r.text
    wanted = datetime.fromisoformat(target)
    for svc in services:
        now = datetime.fromisoformat((await svc.client.get("/healthz")).json()["now"].replace("Z", "+00:00"))
        assert abs(now - wanted) < timedelta(seconds=5), svc.name
    # A restarted service agrees with the others.
    await stack.stop(services[0])
    again = await stack.start("scheduling", run_workers=False)
    now = datetime.fromisoformat((await again.client.get("/healthz")).json()["now"].replace("Z", "+00:00"))
    assert abs(now - wanted) < timedelta(seconds=5)


async def test_dev_clock_refuses_naive_instant(stack: Stack) -> None:
    svc = await stack.start("records", run_workers=False)
    r = await svc.client.put("/_dev/clock", json={"now": "2031-03-08T11:59:00"})
    assert r.status_code in (409, 422)
    assert "code" in r.json()


async def test_production_mode_has_no_dev_clock_and_refuses_clock_settings(
    stack: Stack, tmp_path: Path
) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="refused in production"):
        stack.settings("records", env="production")
    # Production also refuses the dev issuer and key (clinic_common.auth.production): give it an IdP's.
    idp_key = tmp_path / "idp.pem"
    idp_key.write_bytes(
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    svc = await stack.start(
        "records",
        run_workers=False,
        env="production",
        clock_file=None,
        jwt_issuer="https://id.clinic.example/realms/clinic",
        jwt_public_key_file=idp_key,
    )
    assert (await svc.client.put("/_dev/clock", json={"now": "2031-03-08T11:59:00+03:00"})).status_code == 404
