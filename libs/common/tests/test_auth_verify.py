"""TokenVerifier: what it accepts (EdDSA via PEM or JWKS, RS256) and every way a token is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from clinic_common.auth import Principal, TokenVerifier, Unauthenticated
from clinic_common.auth.dev import ensure_dev_keypair, issue_dev_token, public_jwks

ISSUER = "clinic-dev"
ORG = "6f1c2a4e-2d0b-4a8e-9a51-1b7c0f6d2e10"


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    return ensure_dev_keypair(tmp_path / "keys")


@pytest.fixture
def verifier(keys: tuple[Path, Path]) -> TokenVerifier:
    return TokenVerifier(issuer=ISSUER, public_key_file=keys[1])


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": "clinic",
        "sub": "u1",
        "iat": now,
        "exp": now + 600,
        "org": ORG,
        "roles": ["registrar"],
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(private_path: Path, claims: dict[str, Any]) -> str:
    key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": "k"})


async def test_dev_token_gives_principal(keys: tuple[Path, Path], verifier: TokenVerifier) -> None:
    branch, staff = str(uuid4()), str(uuid4())
    token = issue_dev_token(keys[0], role="doctor", org=ORG, staff_id=staff, branch_ids=[branch])
    p = await verifier.verify(token)
    assert p == Principal(
        subject="dev-doctor",
        roles=frozenset({"doctor"}),
        org_id=UUID(ORG),
        patient_id=None,
        staff_id=UUID(staff),
        branch_ids=frozenset({UUID(branch)}),
        insurer_id=None,
    )
    assert p.has_any("nurse", "doctor") and not p.has_any("admin")
    assert p.can_access_org(UUID(ORG)) and not p.can_access_org(uuid4())
    assert p.can_access_branch(UUID(branch)) and not p.can_access_branch(uuid4())
    assert not p.can_access_branch(UUID(branch), org_id=uuid4())


async def test_public_key_pem_text_is_accepted(keys: tuple[Path, Path]) -> None:
    v = TokenVerifier(issuer=ISSUER, public_key_pem=keys[1].read_text())
    p = await v.verify(issue_dev_token(keys[0], role="patient", org=ORG, patient_id=ORG))
    assert p.patient_id == UUID(ORG) and p.branch_ids is None


async def test_admin_without_org_sees_every_org(keys: tuple[Path, Path], verifier: TokenVerifier) -> None:
    p = await verifier.verify(issue_dev_token(keys[0], role="admin", org=None))
    assert p.org_id is None and p.can_access_org(uuid4()) and p.can_access_branch(uuid4())


async def test_leeway_accepts_just_expired(keys: tuple[Path, Path], verifier: TokenVerifier) -> None:
    now = int(time.time())
    p = await verifier.verify(_sign(keys[0], _claims(iat=now - 100, exp=now - 10)))
    assert p.subject == "u1"


def _hs256(claims: dict[str, Any], secret: bytes) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = json.dumps({"alg": "HS256", "typ": "JWT"}).encode()
    signing_input = f"{b64(header)}.{b64(json.dumps(claims).encode())}"
    sig = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(sig)}"


@pytest.mark.parametrize(
    "case",
    [
        "expired",
        "wrong_issuer",
        "wrong_audience",
        "no_exp",
        "no_sub",
        "empty_sub",
        "no_org_non_admin",
        "unknown_role",
        "no_roles",
        "empty_roles",
        "roles_not_list",
        "bad_org",
        "bad_patient",
        "int_staff",
        "bad_branch",
        "branches_not_list",
        "hs256_public_key",
        "alg_none",
        "other_key",
        "garbage",
        "exp_string",
        "exp_bool",
        "iat_string",
        "nbf_string",
        "aud_number",
    ],
)
async def test_refused_with_401(
    case: str, keys: tuple[Path, Path], verifier: TokenVerifier, tmp_path: Path
) -> None:
    now = int(time.time())
    token_for: dict[str, Callable[[], str]] = {
        "expired": lambda: _sign(keys[0], _claims(iat=now - 3600, exp=now - 31)),
        "wrong_issuer": lambda: _sign(keys[0], _claims(iss="someone-else")),
        "wrong_audience": lambda: _sign(keys[0], _claims(aud="billing")),
        "no_exp": lambda: _sign(keys[0], {k: v for k, v in _claims().items() if k != "exp"}),
        "no_sub": lambda: _sign(keys[0], {k: v for k, v in _claims().items() if k != "sub"}),
        "empty_sub": lambda: _sign(keys[0], _claims(sub="")),
        "no_org_non_admin": lambda: _sign(keys[0], {k: v for k, v in _claims().items() if k != "org"}),
        "unknown_role": lambda: _sign(keys[0], _claims(roles=["registrar", "superuser"])),
        "no_roles": lambda: _sign(keys[0], {k: v for k, v in _claims().items() if k != "roles"}),
        "empty_roles": lambda: _sign(keys[0], _claims(roles=[])),
        "roles_not_list": lambda: _sign(keys[0], _claims(roles="registrar")),
        "bad_org": lambda: _sign(keys[0], _claims(org="not-a-uuid")),
        "bad_patient": lambda: _sign(keys[0], _claims(patient_id="1234")),
        "int_staff": lambda: _sign(keys[0], _claims(staff_id=12)),
        "bad_branch": lambda: _sign(keys[0], _claims(branch_ids=[str(uuid4()), "x"])),
        "branches_not_list": lambda: _sign(keys[0], _claims(branch_ids=str(uuid4()))),
        "hs256_public_key": lambda: _hs256(_claims(), keys[1].read_bytes()),
        "alg_none": lambda: jwt.encode(_claims(), "", algorithm="none"),
        "other_key": lambda: _sign(ensure_dev_keypair(tmp_path / "other")[0], _claims()),
        "garbage": lambda: "not.a.jwt",
        # Strict claim types (issue 5, point 9): PyJWT alone accepts these via int().
        "exp_string": lambda: _sign(keys[0], _claims(exp=str(now + 600))),
        "exp_bool": lambda: _sign(keys[0], _claims(exp=True)),
        "iat_string": lambda: _sign(keys[0], _claims(iat=str(now))),
        "nbf_string": lambda: _sign(keys[0], _claims(nbf=str(now - 10))),
        "aud_number": lambda: _sign(keys[0], _claims(aud=7)),
    }
    with pytest.raises(Unauthenticated) as err:
        await verifier.verify(token_for[case]())
    assert err.value.status == 401 and err.value.code == "unauthenticated"
    assert err.value.headers["WWW-Authenticate"].startswith("Bearer")


async def test_rs256_via_pem(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "rsa.pem").write_bytes(pem)
    v = TokenVerifier(issuer="https://idp.example", public_key_file=tmp_path / "rsa.pem")
    claims = _claims(iss="https://idp.example", roles=["cashier", "registrar"])
    token = jwt.encode(claims, key, algorithm="RS256")
    p = await v.verify(token)
    assert p.roles == {"cashier", "registrar"}
    # RS512 is a fine algorithm elsewhere, but only RS256 and EdDSA are accepted here.
    with pytest.raises(Unauthenticated):
        await v.verify(jwt.encode(_claims(iss="https://idp.example"), key, algorithm="RS512"))


def test_exactly_one_key_source(keys: tuple[Path, Path]) -> None:
    with pytest.raises(ValueError):
        TokenVerifier(issuer=ISSUER)
    with pytest.raises(ValueError):
        TokenVerifier(issuer=ISSUER, public_key_file=keys[1], jwks_url="http://127.0.0.1:1/jwks")


class _JwksServer:
    def __init__(self, jwks: dict[str, Any]) -> None:
        self.jwks = jwks
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                body = json.dumps(outer.jwks).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/.well-known/jwks.json"


@pytest.fixture
def jwks_server(keys: tuple[Path, Path]) -> Iterator[_JwksServer]:
    server = _JwksServer(public_jwks(keys[1]))
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


async def test_jwks_url(keys: tuple[Path, Path], jwks_server: _JwksServer, tmp_path: Path) -> None:
    v = TokenVerifier(issuer=ISSUER, jwks_url=jwks_server.url)
    token = issue_dev_token(keys[0], role="dispatcher", org=ORG)
    assert (await v.verify(token)).roles == {"dispatcher"}
    assert (await v.verify(token)).roles == {"dispatcher"}
    assert jwks_server.hits == 1  # the second verification used the cached set

    # A token signed by a key the JWKS does not list is refused after one refresh.
    other = issue_dev_token(ensure_dev_keypair(tmp_path / "other")[0], role="dispatcher", org=ORG)
    with pytest.raises(Unauthenticated):
        await v.verify(other)

    # Signature, claims and kid are all still checked on the JWKS path.
    with pytest.raises(Unauthenticated):
        await v.verify(_sign(keys[0], _claims(roles=["root"])))
    with pytest.raises(Unauthenticated):
        await v.verify(jwt.encode(_claims(), keys[0].read_bytes(), algorithm="EdDSA"))  # no kid


async def test_jwks_unreachable_is_401() -> None:
    v = TokenVerifier(issuer=ISSUER, jwks_url="http://127.0.0.1:9/jwks.json", jwks_timeout_seconds=1)
    token = jwt.encode(_claims(), Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": "k"})
    with pytest.raises(Unauthenticated):
        await v.verify(token)
