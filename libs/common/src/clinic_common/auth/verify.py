"""Bearer-token verification: signature, standard claims, then the clinic's own claims.

Everything a token can get wrong ends as `Unauthenticated` (401); nothing here raises a 500 for
a hostile token. Expiry is judged on the wall clock, never the business clock, so a development
stack living on another day still accepts fresh tokens.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Protocol
from uuid import UUID

import jwt
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from clinic_common.auth.errors import Unauthenticated
from clinic_common.auth.principal import ALL_ROLES, Principal, Role
from clinic_common.auth.production import check_production_token_settings

log = logging.getLogger(__name__)

ALGORITHMS: Final[tuple[str, ...]] = ("RS256", "EdDSA")
"""Asymmetric only: an HS* token "signed" with our public key must never verify."""

DEFAULT_LEEWAY_SECONDS: Final[float] = 30.0

_KEY_TYPE_ALGORITHMS: Final[dict[str, tuple[str, ...]]] = {"RSA": ("RS256",), "OKP": ("EdDSA",)}

PublicKey = RSAPublicKey | Ed25519PublicKey | Ed448PublicKey


class VerifierSettings(Protocol):
    """The settings fields the verifier reads (clinic_common.settings.ServiceSettings has them)."""

    @property
    def env(self) -> str: ...
    @property
    def jwt_issuer(self) -> str: ...
    @property
    def jwt_audience(self) -> str: ...
    @property
    def jwt_jwks_url(self) -> str | None: ...
    @property
    def jwt_public_key(self) -> str | None: ...
    @property
    def jwt_public_key_file(self) -> Path | None: ...


class TokenVerifier:
    """Verifies clinic access tokens against exactly one key source: a JWKS URL or a PEM key."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str = "clinic",
        jwks_url: str | None = None,
        public_key_pem: str | bytes | None = None,
        public_key_file: Path | str | None = None,
        leeway_seconds: float = DEFAULT_LEEWAY_SECONDS,
        jwks_cache_seconds: float = 300.0,
        jwks_timeout_seconds: float = 5.0,
    ) -> None:
        sources = [s for s in (jwks_url, public_key_pem, public_key_file) if s]
        if len(sources) != 1:
            raise ValueError("configure exactly one of jwks_url, public_key_pem, public_key_file")
        if not issuer:
            raise ValueError("issuer is required")
        self.issuer = issuer
        self.audience = audience
        self.leeway_seconds = leeway_seconds
        self._jwks: jwt.PyJWKClient | None = None
        self._key: PublicKey | None = None
        self._key_algorithms: tuple[str, ...] = ()
        if jwks_url:
            # The JWK set is cached for `jwks_cache_seconds`; an unknown kid forces one refetch
            # (rate-limited by PyJWKClient's cooldown), which is how key rotation is picked up.
            self._jwks = jwt.PyJWKClient(
                jwks_url, cache_jwk_set=True, lifespan=jwks_cache_seconds, timeout=jwks_timeout_seconds
            )
        else:
            pem = public_key_pem or Path(str(public_key_file)).read_bytes()
            self._key, self._key_algorithms = _load_pem(pem.encode() if isinstance(pem, str) else pem)

    @classmethod
    def from_settings(cls, settings: VerifierSettings) -> TokenVerifier:
        """The verifier a service serves with; in production, refuses the development issuer and key
        (raises `InsecureTokenSettings`), so a misconfigured process fails at startup."""
        if settings.env == "production":
            check_production_token_settings(settings)
        return cls(
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            jwks_url=settings.jwt_jwks_url,
            public_key_pem=settings.jwt_public_key,
            public_key_file=settings.jwt_public_key_file,
        )

    async def verify(self, token: str) -> Principal:
        """Return the caller or raise `Unauthenticated`; may fetch the JWKS in a worker thread."""
        key: PublicKey | jwt.PyJWK
        if self._jwks is not None:
            key = await self._signing_key(token)
            algorithms: Sequence[str] = _KEY_TYPE_ALGORITHMS.get(str(key.key_type), ())
        else:
            assert self._key is not None
            key, algorithms = self._key, self._key_algorithms
        if not algorithms:
            raise Unauthenticated("The token's signing key type is not accepted", invalid_token=True)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=list(algorithms),
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": ["exp", "iss", "aud", "sub"], "verify_sub": True},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("The token has expired", invalid_token=True) from exc
        except jwt.InvalidAudienceError as exc:
            raise Unauthenticated("The token is not meant for this audience", invalid_token=True) from exc
        except jwt.InvalidIssuerError as exc:
            raise Unauthenticated("The token was issued by an unknown issuer", invalid_token=True) from exc
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthenticated(f"The token lacks the '{exc.claim}' claim", invalid_token=True) from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated("The token is invalid", invalid_token=True) from exc
        check_registered_claim_types(claims)
        return principal_from_claims(claims)

    async def _signing_key(self, token: str) -> jwt.PyJWK:
        assert self._jwks is not None
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise Unauthenticated("The token is invalid", invalid_token=True) from exc
        if not isinstance(kid, str) or not kid:
            raise Unauthenticated("The token has no key id (kid)", invalid_token=True)
        # Fast path without a thread hop: a fresh cached set that already has the kid.
        cache = self._jwks.jwk_set_cache
        cached = cache.get() if cache is not None else None
        if cached is not None:
            for jwk in cached.keys:
                if jwk.key_id == kid and jwk.public_key_use in ("sig", None):
                    return jwk
        try:
            # PyJWKClient fetches with blocking urllib; keep it off the event loop.
            return await asyncio.to_thread(self._jwks.get_signing_key, kid)
        except jwt.PyJWKClientConnectionError as exc:
            log.warning("JWKS fetch failed: %s", exc)
            raise Unauthenticated("The token's signing keys are unavailable", invalid_token=True) from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated("The token's signing key is unknown", invalid_token=True) from exc


def _load_pem(pem: bytes) -> tuple[PublicKey, tuple[str, ...]]:
    """Parse the key and pin the algorithm to its type, so a token cannot pick a mismatched one."""
    key = load_pem_public_key(pem)
    if isinstance(key, RSAPublicKey):
        return key, ("RS256",)
    if isinstance(key, Ed25519PublicKey | Ed448PublicKey):
        return key, ("EdDSA",)
    raise ValueError(f"unsupported public key type {type(key).__name__}; use RSA or Ed25519")


_NUMERIC_DATES: Final[tuple[str, ...]] = ("exp", "nbf", "iat")


def check_registered_claim_types(claims: Mapping[str, Any]) -> None:
    """RFC 7519 types, strictly: PyJWT runs `int()` on the dates, so `"exp": "9999999999"` would pass.

    A token whose claims are the wrong JSON types was not made by our identity provider; refuse it
    rather than guess what it means."""
    for name in _NUMERIC_DATES:
        if name in claims:
            value = claims[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise _bad_claim(name, "must be a number (seconds since the epoch)")
    if not isinstance(claims.get("iss"), str):
        raise _bad_claim("iss", "must be a string")
    audience = claims.get("aud")
    if not (
        isinstance(audience, str)
        or (isinstance(audience, list) and audience and all(isinstance(a, str) for a in audience))
    ):
        raise _bad_claim("aud", "must be a string or a list of strings")


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """Check the clinic claims (signature and standard claims already verified) and build the Principal."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise _bad_claim("sub")
    roles_claim = claims.get("roles")
    if (
        not isinstance(roles_claim, list)
        or not roles_claim
        or not all(isinstance(r, str) for r in roles_claim)
    ):
        raise _bad_claim("roles", "must be a non-empty list of role names")
    roles = frozenset(roles_claim)
    unknown = roles - ALL_ROLES
    if unknown:
        raise _bad_claim("roles", f"unknown role(s) {', '.join(sorted(unknown))}")
    org_id = _uuid(claims, "org")
    if org_id is None and Role.ADMIN not in roles:
        raise Unauthenticated("The token lacks the 'org' claim", invalid_token=True)
    branch_claim = claims.get("branch_ids")
    branch_ids: frozenset[UUID] | None = None
    if branch_claim is not None:
        if not isinstance(branch_claim, list):
            raise _bad_claim("branch_ids", "must be a list of UUIDs")
        branch_ids = frozenset(_parse_uuid(v, "branch_ids") for v in branch_claim)
    return Principal(
        subject=subject,
        roles=roles,
        org_id=org_id,
        patient_id=_uuid(claims, "patient_id"),
        staff_id=_uuid(claims, "staff_id"),
        branch_ids=branch_ids,
        insurer_id=_uuid(claims, "insurer_id"),
    )


def _uuid(claims: Mapping[str, Any], name: str) -> UUID | None:
    value = claims.get(name)
    return None if value is None else _parse_uuid(value, name)


def _parse_uuid(value: object, name: str) -> UUID:
    if not isinstance(value, str):
        raise _bad_claim(name, "must be a UUID string")
    try:
        return UUID(value)
    except ValueError:
        raise _bad_claim(name, "must be a UUID string") from None


def _bad_claim(name: str, why: str = "is malformed") -> Unauthenticated:
    return Unauthenticated(f"The token's '{name}' claim {why}", invalid_token=True)
