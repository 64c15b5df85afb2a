"""Development signing key and tokens for the local stack (`make token`); never used in production.

The key pair lives under `.data/`, is created once and then reused, so tokens stay valid across
restarts. Token lifetimes use the wall clock: a stack living on another business day still
accepts them.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from clinic_common.auth.principal import ALL_ROLES, Role

PRIVATE_KEY_NAME = "private.pem"
PUBLIC_KEY_NAME = "public.pem"
DEV_KEY_MARKER = "DEVELOPMENT-KEY"
"""Written next to the pair, so production recognizes the folder even after it is copied or renamed."""
DEV_ISSUER = "clinic-dev"
AUDIENCE = "clinic"


def ensure_dev_keypair(dir: Path) -> tuple[Path, Path]:
    """Create an Ed25519 pair in `dir` unless one is there; return (private.pem, public.pem).

    Safe when several processes start at once: the private key appears atomically (link of a
    complete temporary file), the first one wins, and public.pem is always derived from it.
    """
    dir.mkdir(parents=True, exist_ok=True)
    private_path, public_path = dir / PRIVATE_KEY_NAME, dir / PUBLIC_KEY_NAME
    marker = dir / DEV_KEY_MARKER
    if not marker.exists():
        marker.write_text("Development signing key of the local stack. Production refuses keys from here.\n")
    if not private_path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd, tmp = tempfile.mkstemp(dir=dir, prefix=".private-")  # mkstemp creates it 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
            with contextlib.suppress(FileExistsError):  # another process won the race: use its key
                os.link(tmp, private_path)
        finally:
            Path(tmp).unlink()
    private_path.chmod(0o600)
    public_pem = (
        _load_private(private_path)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    if not public_path.exists() or public_path.read_bytes() != public_pem:
        fd, tmp = tempfile.mkstemp(dir=dir, prefix=".public-")
        with os.fdopen(fd, "wb") as f:
            f.write(public_pem)
        Path(tmp).chmod(0o644)
        Path(tmp).replace(public_path)
    return private_path, public_path


def issue_dev_token(
    private_key_path: Path,
    *,
    role: str,
    org: str | None,
    patient_id: str | None = None,
    staff_id: str | None = None,
    branch_ids: list[str] | None = None,
    insurer_id: str | None = None,
    ttl_hours: int = 12,
    issuer: str = DEV_ISSUER,
    subject: str | None = None,
    extra_roles: list[str] | None = None,
) -> str:
    """A signed EdDSA token the local stack accepts. Checks the inputs the verifier will check, so
    a bad `make token` call fails here with a clear message instead of as a 401 later."""
    roles = [role, *(extra_roles or [])]
    unknown = sorted(set(roles) - ALL_ROLES)
    if unknown:
        raise ValueError(f"unknown role(s): {', '.join(unknown)}; known: {', '.join(sorted(ALL_ROLES))}")
    if org is None and Role.ADMIN not in roles:
        raise ValueError("org is required unless the token has the admin role")
    ids = {"org": org, "patient_id": patient_id, "staff_id": staff_id, "insurer_id": insurer_id}
    for name, value in [*ids.items(), *(("branch_ids", b) for b in branch_ids or [])]:
        if value is not None:
            try:
                UUID(value)
            except ValueError:
                raise ValueError(f"{name} is not a UUID: {value!r}") from None
    private_key = _load_private(private_key_path)
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": AUDIENCE,
        "sub": subject or f"dev-{role}",
        "iat": now,
        "exp": now + ttl_hours * 3600,
        "roles": roles,
        **{name: value for name, value in ids.items() if value is not None},
    }
    if branch_ids is not None:
        claims["branch_ids"] = branch_ids
    kid = _thumbprint(private_key.public_key())
    return jwt.encode(claims, private_key, algorithm="EdDSA", headers={"kid": kid})


def public_jwks(public_key_path: Path) -> dict[str, Any]:
    """The JWK set for the development key, with the same kid the tokens carry."""
    key = serialization.load_pem_public_key(public_key_path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{public_key_path} is not an Ed25519 public key")
    return {"keys": [{**_okp_jwk(key), "kid": _thumbprint(key), "alg": "EdDSA", "use": "sig"}]}


def _load_private(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def _okp_jwk(key: Ed25519PublicKey) -> dict[str, str]:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw)}


def _thumbprint(key: Ed25519PublicKey) -> str:
    """RFC 7638 JWK thumbprint: a stable kid that changes exactly when the key does."""
    canonical = json.dumps(_okp_jwk(key), sort_keys=True, separators=(",", ":")).encode()
    return _b64url(hashlib.sha256(canonical).digest())


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main(argv: list[str] | None = None) -> None:
    """`python -m clinic_common.auth.dev --role registrar --org <id>`: print a token on the last line."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--key-dir", type=Path, default=Path(".data/dev-keys"))
    p.add_argument("--role", required=True, choices=sorted(ALL_ROLES))
    p.add_argument("--org")
    p.add_argument("--patient")
    p.add_argument("--staff")
    p.add_argument("--branches", help="comma-separated branch ids")
    p.add_argument("--insurer")
    p.add_argument("--subject")
    p.add_argument("--issuer", default=DEV_ISSUER)
    p.add_argument("--ttl-hours", type=int, default=12)
    args = p.parse_args(argv)
    private_path, _ = ensure_dev_keypair(args.key_dir)
    try:
        token = issue_dev_token(
            private_path,
            role=args.role,
            org=args.org or None,
            patient_id=args.patient or None,
            staff_id=args.staff or None,
            branch_ids=[b for b in args.branches.split(",") if b] if args.branches else None,
            insurer_id=args.insurer or None,
            ttl_hours=args.ttl_hours,
            issuer=args.issuer,
            subject=args.subject,
        )
    except ValueError as exc:
        p.error(str(exc))
    print(token)


if __name__ == "__main__":
    main()
