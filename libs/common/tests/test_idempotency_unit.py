"""Idempotency without a database: request fingerprints and Idempotency-Key validation."""

from __future__ import annotations

from typing import Any

import pytest

from clinic_common.idempotency import Idempotency, IdempotencyKeyInvalid, fingerprint

pytestmark = pytest.mark.unit

PATH = "/v1/appointments"


def test_fingerprint_ignores_key_order_and_whitespace() -> None:
    a = b'{"slot": "2030-01-01T09:00:00+05:00", "patient": {"id": 1, "name": "A"}}'
    b = b'{\n  "patient" : {"name":"A","id":1},\n\t"slot":"2030-01-01T09:00:00+05:00"\n}\n'
    assert fingerprint("POST", PATH, a) == fingerprint("POST", PATH, b)


def test_fingerprint_is_a_sha256_hex_digest() -> None:
    fp = fingerprint("POST", PATH, b"{}")
    assert len(fp) == 64 and int(fp, 16) >= 0


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (("POST", PATH, b'{"a": 1}'), ("POST", PATH, b'{"a": 2}')),
        (("POST", PATH, b'{"a": 1}'), ("POST", PATH, b'{"a": "1"}')),
        (("POST", PATH, b'{"a": [1, 2]}'), ("POST", PATH, b'{"a": [2, 1]}')),
        (("POST", PATH, b'{"a": 1}'), ("POST", "/v1/payments", b'{"a": 1}')),
        (("POST", PATH, b'{"a": 1}'), ("PUT", PATH, b'{"a": 1}')),
        (("POST", PATH, b""), ("POST", PATH, b"{}")),
    ],
)
def test_fingerprint_differs_for_different_requests(
    one: tuple[str, str, bytes], other: tuple[str, str, bytes]
) -> None:
    assert fingerprint(*one) != fingerprint(*other)


@pytest.mark.parametrize("body", [b"not json at all", b"\xff\xfe\x00", b"{", b""])
def test_fingerprint_of_non_json_bodies_uses_raw_bytes(body: bytes) -> None:
    assert fingerprint("POST", PATH, body) == fingerprint("POST", PATH, body)
    assert fingerprint("POST", PATH, body) != fingerprint("POST", PATH, body + b" ")


def make(key: str | None) -> Idempotency:
    request: Any = None  # not touched by validation
    session: Any = None
    return Idempotency(request, session, key)


@pytest.mark.parametrize("key", ["k", "booking-2030-01-01-0001", "x" * 255, "a b:c/d=e", "~!@#$%^&*()"])
def test_valid_keys_are_accepted(key: str) -> None:
    assert make(key).key == key


def test_no_key_is_accepted() -> None:
    assert make(None).key is None


# Visible ASCII, as the IETF Idempotency-Key header (a structured-field string) and the OpenAPI
# document say; no leading or trailing spaces, which HTTP would strip anyway.
@pytest.mark.parametrize(
    "key", ["", "x" * 256, "x" * 10_000, "a\nb", "a\rb", "\x00", "tab\there", "del\x7f", "ключ-1", " k", "k "]
)
def test_invalid_keys_are_refused_with_400(key: str) -> None:
    with pytest.raises(IdempotencyKeyInvalid) as info:
        make(key)
    problem = info.value.to_problem()
    assert (problem["status"], problem["code"]) == (400, "idempotency_key_invalid")
