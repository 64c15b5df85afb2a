"""Deliveries without a database: the retry policy, the HTTP gateway adapter, provider choice."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from clinic_common.db import PlatformTables, make_metadata
from clinic_common.deliveries import (
    Deliveries,
    DeliveryRejected,
    DeliveryUnavailable,
    HttpProvider,
    OutgoingMessage,
    ProviderReceipt,
    Providers,
    RecordingProvider,
    RetryPolicy,
)
from clinic_common.settings import ServiceSettings

pytestmark = pytest.mark.unit


def message(**over: Any) -> OutgoingMessage:
    values: dict[str, Any] = {
        "delivery_id": uuid.UUID("01900000-0000-7000-8000-000000000001"),
        "channel": "sms",
        "recipient": "+77011234567",
        "payload": {"text": "Приём перенесён на 10:30"},
        "idempotency_key": "notification:n-1:sms",
        "ref_type": "notification",
        "ref_id": "n-1",
        "attempt": 2,
    }
    values.update(over)
    return OutgoingMessage(**values)


# --- retry policy ------------------------------------------------------------------------------


def test_backoff_steps_are_used_in_order_and_the_last_repeats() -> None:
    policy = RetryPolicy(max_attempts=6, backoff_seconds=(5, 30, 120))
    assert [policy.delay_after(n) for n in range(1, 7)] == [5, 30, 120, 120, 120, None]


def test_the_last_allowed_attempt_gives_up() -> None:
    policy = RetryPolicy(max_attempts=1, backoff_seconds=(5,))
    assert policy.delay_after(1) is None


def test_a_providers_retry_after_is_honoured_when_longer() -> None:
    policy = RetryPolicy(max_attempts=5, backoff_seconds=(5,))
    assert policy.delay_after(1, retry_after=60) == 60
    assert policy.delay_after(1, retry_after=1) == 5


def test_rows_claimed_more_often_than_allowed_are_exhausted() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert not policy.exhausted(3)
    assert policy.exhausted(4)


@pytest.mark.parametrize("bad", [{"max_attempts": 0}, {"backoff_seconds": (5, -1)}])
def test_nonsense_policies_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**bad)


# --- the HTTP gateway adapter ----------------------------------------------------------------


def gateway(handler: Any) -> HttpProvider:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return HttpProvider("http://sms.example/send", timeout=5, client=client)


async def test_http_provider_sends_the_message_with_its_idempotency_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "gw-42", "parts": 1})

    receipt = await gateway(handler).send(message())
    assert receipt == ProviderReceipt(reference="gw-42", response={"id": "gw-42", "parts": 1})
    (request,) = seen
    assert request.headers["Idempotency-Key"] == "notification:n-1:sms"
    body = json.loads(request.content)
    assert body["recipient"] == "+77011234567" and body["payload"] == {"text": "Приём перенесён на 10:30"}
    assert body["ref"] == {"type": "notification", "id": "n-1"} and body["attempt"] == 2


@pytest.mark.parametrize("status", [400, 403, 404, 410, 422])
async def test_http_provider_client_errors_are_rejections(status: int) -> None:
    provider = gateway(lambda r: httpx.Response(status, json={"error": "bad number"}))
    with pytest.raises(DeliveryRejected) as info:
        await provider.send(message())
    assert info.value.response == {"error": "bad number"}


@pytest.mark.parametrize("status", [408, 409, 425, 429, 500, 502, 503, 504])
async def test_http_provider_server_errors_and_throttling_are_transient(status: int) -> None:
    provider = gateway(lambda r: httpx.Response(status, headers={"Retry-After": "7"}, text="busy"))
    with pytest.raises(DeliveryUnavailable) as info:
        await provider.send(message())
    assert info.value.retry_after == 7


async def test_http_provider_network_errors_are_transient() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(DeliveryUnavailable):
        await gateway(handler).send(message())


async def test_http_provider_accepts_an_answer_that_is_not_json() -> None:
    receipt = await gateway(lambda r: httpx.Response(202, text="queued")).send(message())
    assert receipt.reference is None and receipt.response == {"status": 202, "text": "queued"}


# --- provider choice, the default, add() ------------------------------------------------------


class OwnSms:
    name = "own-sms"

    async def send(self, message: OutgoingMessage) -> ProviderReceipt:
        return ProviderReceipt(reference="own")


async def test_providers_prefer_the_services_own_then_the_configured_gateway_then_recording() -> None:
    providers = Providers(
        {"sms": OwnSms()}, http_urls={"sms": "http://ignored/", "whatsapp": "http://wa.example/send"}
    )
    try:
        assert providers.for_channel("sms").name == "own-sms"
        assert providers.for_channel("whatsapp").name == "http:wa.example"
        assert providers.for_channel("fiscal_receipt").name == "recording"
    finally:
        await providers.aclose()


async def test_recording_provider_stores_the_message_as_its_outcome() -> None:
    receipt = await RecordingProvider().send(message())
    assert receipt.reference == "recorded:01900000-0000-7000-8000-000000000001"
    assert receipt.response["payload"] == {"text": "Приём перенесён на 10:30"}
    assert receipt.response["recorded"] is True


@pytest.mark.parametrize("key", ["", "x" * 256, "a\nb"])
async def test_add_refuses_keys_a_provider_could_not_dedupe_on(key: str) -> None:
    with pytest.raises(ValueError):
        await Deliveries(PlatformTables(make_metadata())).add(
            None,  # type: ignore[arg-type]  # refused before the session is touched
            channel="sms",
            recipient="+7",
            payload={},
            idempotency_key=key,
        )


def test_settings_refuse_a_lease_shorter_than_the_provider_call() -> None:
    with pytest.raises(ValueError, match="DELIVERY_LEASE_SECONDS"):
        ServiceSettings(env="test", delivery_lease_seconds=10, delivery_provider_timeout_seconds=15)
