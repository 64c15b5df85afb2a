"""Production refuses what only the local stack may use: no key source, the dev issuer, the dev key."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from clinic_common.auth import TokenVerifier, Unauthenticated
from clinic_common.auth.dev import DEV_ISSUER, ensure_dev_keypair, issue_dev_token
from clinic_common.auth.production import InsecureTokenSettings, production_token_problems
from clinic_common.settings import ServiceSettings

pytestmark = pytest.mark.unit

IDP = "https://id.clinic.example/realms/clinic"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No CLINIC_ variables, and a working directory whose `.data/` holds no development key."""
    for name in list(os.environ):
        if name.startswith("CLINIC_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def production_key(folder: Path) -> Path:
    """A public key as an identity provider hands it out: the PEM alone, in a folder of its own."""
    folder.mkdir(parents=True, exist_ok=True)
    public = Ed25519PrivateKey.generate().public_key()
    path = folder / "idp.pem"
    path.write_bytes(
        public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return path


def production(**values: Any) -> ServiceSettings:
    return ServiceSettings(env="production", **values)


def test_production_verifier_needs_a_key_source() -> None:
    with pytest.raises(InsecureTokenSettings, match="production needs CLINIC_JWT_JWKS_URL"):
        TokenVerifier.from_settings(production(jwt_issuer=IDP))


@pytest.mark.parametrize("issuer", [DEV_ISSUER, f" {DEV_ISSUER} "])
def test_production_refuses_the_dev_issuer(tmp_path: Path, issuer: str) -> None:
    key = production_key(tmp_path / "etc")
    with pytest.raises(InsecureTokenSettings, match="development issuer"):
        TokenVerifier.from_settings(production(jwt_issuer=issuer, jwt_public_key_file=key))


def test_the_default_issuer_is_refused_in_production(tmp_path: Path) -> None:
    """Production must name its identity provider; the default is the development issuer."""
    with pytest.raises(InsecureTokenSettings, match="development issuer"):
        TokenVerifier.from_settings(production(jwt_jwks_url=f"{IDP}/certs"))


@pytest.mark.parametrize("folder", [".data/keys", ".data/test-1/keys", "dev-keys", "srv/dev-keys/current"])
def test_production_refuses_a_key_file_in_a_dev_key_folder(tmp_path: Path, folder: str) -> None:
    key = production_key(tmp_path / folder)  # even a fresh key: those folders belong to the local stack
    with pytest.raises(InsecureTokenSettings, match="development key folder"):
        TokenVerifier.from_settings(production(jwt_issuer=IDP, jwt_public_key_file=key))


def test_production_refuses_the_dev_key_copied_with_its_folder(tmp_path: Path) -> None:
    ensure_dev_keypair(tmp_path / "build" / "keys")
    shutil.copytree(tmp_path / "build" / "keys", tmp_path / "etc" / "clinic")
    key = tmp_path / "etc" / "clinic" / "public.pem"
    with pytest.raises(InsecureTokenSettings, match="is a development key"):
        TokenVerifier.from_settings(production(jwt_issuer=IDP, jwt_public_key_file=key))


def test_production_refuses_a_public_key_lying_next_to_its_private_key(tmp_path: Path) -> None:
    _, public = ensure_dev_keypair(tmp_path / "etc" / "clinic")
    (tmp_path / "etc" / "clinic" / "DEVELOPMENT-KEY").unlink()  # marker gone, private.pem still there
    with pytest.raises(InsecureTokenSettings, match="is a development key"):
        TokenVerifier.from_settings(production(jwt_issuer=IDP, jwt_public_key_file=public))


def test_production_refuses_the_local_dev_key_by_content(tmp_path: Path) -> None:
    """The dev key's PEM alone, copied elsewhere or pasted into CLINIC_JWT_PUBLIC_KEY, is recognized
    by comparing it with the development keys under `./.data`."""
    _, dev_public = ensure_dev_keypair(tmp_path / ".data" / "keys")
    copied = tmp_path / "etc" / "idp.pem"
    copied.parent.mkdir()
    copied.write_bytes(dev_public.read_bytes())
    with pytest.raises(InsecureTokenSettings, match="is the local development key"):
        TokenVerifier.from_settings(production(jwt_issuer=IDP, jwt_public_key_file=copied))
    with pytest.raises(InsecureTokenSettings, match="is the local development key"):
        TokenVerifier.from_settings(production(jwt_issuer=IDP, jwt_public_key=dev_public.read_text()))


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    _, dev_public = ensure_dev_keypair(tmp_path / ".data" / "keys")
    problems = production_token_problems(production(jwt_public_key_file=dev_public), dev_key_roots=[tmp_path])
    assert len(problems) == 3, problems  # dev issuer, dev folder, dev key content


async def test_production_accepts_its_identity_provider(tmp_path: Path) -> None:
    private = Ed25519PrivateKey.generate()
    key = tmp_path / "etc" / "idp.pem"
    key.parent.mkdir()
    key.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    verifier = TokenVerifier.from_settings(production(jwt_issuer=IDP, jwt_public_key_file=key))
    now = int(time.time())
    claims = {"iss": IDP, "aud": "clinic", "sub": "u1", "exp": now + 60, "roles": ["admin"]}
    principal = await verifier.verify(jwt.encode(claims, private, algorithm="EdDSA"))
    assert principal.is_admin
    # A token of the development issuer, even signed with the production key, is not accepted.
    with pytest.raises(Unauthenticated):
        await verifier.verify(jwt.encode({**claims, "iss": DEV_ISSUER}, private, algorithm="EdDSA"))
    assert TokenVerifier.from_settings(production(jwt_issuer=IDP, jwt_jwks_url=f"{IDP}/certs")).issuer == IDP


@pytest.mark.parametrize("env", ["development", "test"])
async def test_dev_and_test_mode_accept_the_dev_issuer_and_key(tmp_path: Path, env: str) -> None:
    private, public = ensure_dev_keypair(tmp_path / ".data" / "keys")
    verifier = TokenVerifier.from_settings(ServiceSettings(env=env, jwt_public_key_file=public))
    principal = await verifier.verify(issue_dev_token(private, role="admin", org=None))
    assert principal.is_admin
