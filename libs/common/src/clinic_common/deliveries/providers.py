"""Provider adapters every service can use, and the per-channel choice between them.

- `RecordingProvider`, the default: records the message as the outcome without sending it
  (development, tests, and channels nobody configured).
- `HttpProvider`: POSTs the message as JSON to a gateway URL with an `Idempotency-Key` header;
  2xx is sent, 4xx a rejection (except 408/409/425/429), 5xx and network errors are retried.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import httpx

from clinic_common.deliveries.ports import (
    DeliveryProvider,
    DeliveryRejected,
    DeliveryUnavailable,
    OutgoingMessage,
    ProviderReceipt,
)

log = logging.getLogger(__name__)

# Statuses that say "try again later" rather than "this message is wrong".
_RETRYABLE_4XX: Final = frozenset({408, 409, 425, 429})


class RecordingProvider:
    """Records the message without sending it: the outcome holds what would have gone out."""

    name = "recording"

    async def send(self, message: OutgoingMessage) -> ProviderReceipt:
        # The message may carry medical content: it goes to the outcome row, not to the log.
        log.info(
            "delivery recorded without sending",
            extra={
                "delivery_id": str(message.delivery_id),
                "channel": message.channel,
                "idempotency_key": message.idempotency_key,
            },
        )
        return ProviderReceipt(
            reference=f"recorded:{message.delivery_id}",
            response={
                "recorded": True,
                "channel": message.channel,
                "recipient": message.recipient,
                "payload": dict(message.payload),
            },
        )


class HttpProvider:
    """A JSON-over-HTTP gateway; the gateway must answer a repeated Idempotency-Key with its first
    answer (what SMS and messaging gateways and fiscal data operators do)."""

    def __init__(self, url: str, *, timeout: float, client: httpx.AsyncClient | None = None) -> None:
        self.url = url
        self.name = f"http:{urlsplit(url).netloc}"
        self._client = client or httpx.AsyncClient(timeout=timeout)

    async def send(self, message: OutgoingMessage) -> ProviderReceipt:
        body = {
            "delivery_id": str(message.delivery_id),
            "channel": message.channel,
            "recipient": message.recipient,
            "payload": dict(message.payload),
            "idempotency_key": message.idempotency_key,
            "ref": {"type": message.ref_type, "id": message.ref_id},
            "attempt": message.attempt,
        }
        try:
            r = await self._client.post(
                self.url, json=body, headers={"Idempotency-Key": message.idempotency_key}
            )
        except httpx.HTTPError as exc:  # connection refused, reset, timeout
            raise DeliveryUnavailable(f"{type(exc).__name__}: {exc}") from exc
        data = _json_object(r)
        if r.status_code >= 500 or r.status_code in _RETRYABLE_4XX:
            raise DeliveryUnavailable(f"HTTP {r.status_code}", retry_after=_retry_after(r))
        if r.status_code >= 400:
            raise DeliveryRejected(f"HTTP {r.status_code}", response=data)
        reference = data.get("id", data.get("reference", data.get("message_id")))
        return ProviderReceipt(reference=None if reference is None else str(reference), response=data)

    async def aclose(self) -> None:
        await self._client.aclose()


def _json_object(r: httpx.Response) -> dict[str, Any]:
    try:
        data = r.json()
    except ValueError:
        return {"status": r.status_code, "text": r.text[:2000]}
    return data if isinstance(data, dict) else {"status": r.status_code, "body": data}


def _retry_after(r: httpx.Response) -> float | None:
    try:
        return max(0.0, float(r.headers.get("Retry-After", "")))
    except ValueError:
        return None  # an HTTP date or garbage: use our own back-off


class Providers:
    """The provider of each channel: the service's own (`ServiceSpec.delivery_providers`), else an
    HTTP gateway configured by URL (`CLINIC_DELIVERY_HTTP_URLS`), else the recording default."""

    def __init__(
        self,
        registered: Mapping[str, DeliveryProvider] | None = None,
        *,
        http_urls: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        default: DeliveryProvider | None = None,
    ) -> None:
        self._by_channel: dict[str, DeliveryProvider] = {}
        self._http: list[HttpProvider] = []
        for channel, url in (http_urls or {}).items():
            if registered and channel in registered:
                log.warning(
                    "channel %s has its own provider; CLINIC_DELIVERY_HTTP_URLS entry ignored", channel
                )
                continue
            http = HttpProvider(url, timeout=timeout)
            self._http.append(http)
            self._by_channel[channel] = http
        self._by_channel.update(registered or {})
        self.default: DeliveryProvider = default or RecordingProvider()

    def for_channel(self, channel: str) -> DeliveryProvider:
        return self._by_channel.get(channel, self.default)

    def describe(self) -> dict[str, str]:
        return {channel: provider.name for channel, provider in sorted(self._by_channel.items())}

    async def aclose(self) -> None:
        """Close every provider that holds connections (the service's own ones included)."""
        for provider in {id(p): p for p in [*self._by_channel.values(), self.default]}.values():
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()
