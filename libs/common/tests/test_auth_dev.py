"""Development key pair and token issuer behind `make token`."""

from __future__ import annotations

import stat
from pathlib import Path

import jwt
import pytest

from clinic_common.auth.dev import ensure_dev_keypair, issue_dev_token, main, public_jwks


def test_keypair_created_once_and_private(tmp_path: Path) -> None:
    private, public = ensure_dev_keypair(tmp_path / "k")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    first = private.read_bytes(), public.read_bytes()
    assert ensure_dev_keypair(tmp_path / "k") == (private, public)
    assert (private.read_bytes(), public.read_bytes()) == first
    names = sorted(p.name for p in (tmp_path / "k").iterdir())
    assert names == ["DEVELOPMENT-KEY", "private.pem", "public.pem"]  # the marker production refuses


def test_missing_public_key_is_rederived(tmp_path: Path) -> None:
    _, public = ensure_dev_keypair(tmp_path)
    before = public.read_bytes()
    public.unlink()
    ensure_dev_keypair(tmp_path)
    assert public.read_bytes() == before


def test_token_shape(tmp_path: Path) -> None:
    private, public = ensure_dev_keypair(tmp_path)
    token = issue_dev_token(
        private,
        role="registrar",
        org="6f1c2a4e-2d0b-4a8e-9a51-1b7c0f6d2e10",
        extra_roles=["cashier"],
        ttl_hours=12,
    )
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA" and header["kid"] == public_jwks(public)["keys"][0]["kid"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["roles"] == ["registrar", "cashier"] and claims["aud"] == "clinic"
    assert claims["exp"] - claims["iat"] == 12 * 3600
    assert "patient_id" not in claims and "branch_ids" not in claims


@pytest.mark.parametrize(
    "kwargs",
    [
        {"role": "root", "org": "6f1c2a4e-2d0b-4a8e-9a51-1b7c0f6d2e10"},
        {"role": "registrar", "org": None},
        {"role": "registrar", "org": "nope"},
        {"role": "patient", "org": "6f1c2a4e-2d0b-4a8e-9a51-1b7c0f6d2e10", "patient_id": "12"},
    ],
)
def test_bad_inputs_fail_early(tmp_path: Path, kwargs: dict[str, str | None]) -> None:
    private, _ = ensure_dev_keypair(tmp_path)
    with pytest.raises(ValueError):
        issue_dev_token(private, **kwargs)  # type: ignore[arg-type]


def test_cli_prints_token(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["--key-dir", str(tmp_path), "--role", "admin"])
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert jwt.decode(token, options={"verify_signature": False})["roles"] == ["admin"]
