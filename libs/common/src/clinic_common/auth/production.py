"""What a production process refuses in its token settings: no key, the dev issuer, the dev key.

Checked when a process builds its token verifier (`TokenVerifier.from_settings`), not when settings
load: `python -m <service>.cli migrate` reads the same settings and must run without JWT keys.

The development key is recognized three ways, because each alone can be defeated by copying a
file: its path (`.data/` or a `dev-keys` folder), its folder (the `DEVELOPMENT-KEY` marker or a
private key lying next to the public one, which an identity provider never hands out), and its
content (equal to a development key found under `./.data`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Final, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from clinic_common.auth.dev import DEV_ISSUER, DEV_KEY_MARKER, PRIVATE_KEY_NAME, PUBLIC_KEY_NAME

DEV_KEY_FOLDERS: Final[frozenset[str]] = frozenset({".data", "dev-keys"})
"""Path components that only the local stack and the tests use for keys."""


class ProductionTokenSettings(Protocol):
    @property
    def jwt_issuer(self) -> str: ...
    @property
    def jwt_jwks_url(self) -> str | None: ...
    @property
    def jwt_public_key(self) -> str | None: ...
    @property
    def jwt_public_key_file(self) -> Path | None: ...


class InsecureTokenSettings(ValueError):
    """Production was configured with something only the local stack may use; refuse to start."""


def production_token_problems(
    settings: ProductionTokenSettings, *, dev_key_roots: Iterable[Path] | None = None
) -> list[str]:
    """Every reason these settings cannot verify production tokens, as messages for the operator.

    `dev_key_roots`: folders whose `.data/` may hold development keys (default: the working directory).
    """
    problems: list[str] = []
    if not (settings.jwt_jwks_url or settings.jwt_public_key or settings.jwt_public_key_file):
        problems.append("production needs CLINIC_JWT_JWKS_URL or a public key (CLINIC_JWT_PUBLIC_KEY[_FILE])")
    if settings.jwt_issuer.strip() == DEV_ISSUER:
        problems.append(
            f"CLINIC_JWT_ISSUER is the development issuer {DEV_ISSUER!r}; set the identity provider's issuer"
        )
    pem: bytes | None = settings.jwt_public_key.encode() if settings.jwt_public_key else None
    if settings.jwt_public_key_file is not None:
        path = settings.jwt_public_key_file.expanduser().resolve()
        if DEV_KEY_FOLDERS.intersection(path.parts):
            problems.append(f"CLINIC_JWT_PUBLIC_KEY_FILE {path} lies in a development key folder")
        elif (path.parent / DEV_KEY_MARKER).exists() or (path.parent / PRIVATE_KEY_NAME).exists():
            problems.append(f"CLINIC_JWT_PUBLIC_KEY_FILE {path} is a development key (marker or private key)")
        if path.is_file():
            pem = path.read_bytes()
    if pem is not None:
        key = _spki(pem)
        roots = [Path.cwd()] if dev_key_roots is None else list(dev_key_roots)
        if key is not None and key in {_spki(p.read_bytes()) for p in _dev_public_keys(roots)}:
            problems.append("the configured public key is the local development key")
    return problems


def check_production_token_settings(
    settings: ProductionTokenSettings, *, dev_key_roots: Iterable[Path] | None = None
) -> None:
    problems = production_token_problems(settings, dev_key_roots=dev_key_roots)
    if problems:
        raise InsecureTokenSettings("refusing to start in production: " + "; ".join(problems))


def _dev_public_keys(roots: Iterable[Path]) -> Iterator[Path]:
    """Public keys of development pairs under `<root>/.data`, two levels deep at most (a recursive
    walk would crawl the embedded PostgreSQL's data directory)."""
    for root in roots:
        data = root / ".data"
        for pattern in (f"*/{DEV_KEY_MARKER}", f"*/*/{DEV_KEY_MARKER}"):
            for marker in data.glob(pattern):
                public = marker.parent / PUBLIC_KEY_NAME
                if public.is_file():
                    yield public


def _spki(pem: bytes) -> bytes | None:
    """The key in one canonical encoding, so PEM formatting differences do not hide a match."""
    try:
        key = load_pem_public_key(pem)
    except ValueError:
        return None  # not a PEM public key: the verifier itself will refuse it with a clear error
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
