"""The provider port of each channel, and what a delivery's outcome looks like to the service.

An SMS gateway, a WhatsApp business API or an online cash register sits behind `DeliveryProvider`.
The worker hands it the row's idempotency key with every attempt, so a resend after a crash (the
provider took the message, the outcome was never stored) does not repeat the effect: the provider
answers a key it has seen with its first answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class OutgoingMessage:
    """One attempt at one delivery row."""

    delivery_id: UUID
    channel: str
    recipient: str | None
    payload: Mapping[str, Any]
    idempotency_key: str
    ref_type: str | None
    ref_id: str | None
    attempt: int


@dataclass(frozen=True)
class ProviderReceipt:
    """The provider's answer: its reference (message id, fiscal number) and whatever else it said
    (a fiscal register's sign and time, say), stored as the delivery's outcome."""

    reference: str | None = None
    response: Mapping[str, Any] = field(default_factory=dict)


class DeliveryRejected(Exception):
    """Permanent: the provider refused the message (bad number, invalid receipt); never retried."""

    def __init__(self, reason: str, response: Mapping[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.response = dict(response or {})


class DeliveryUnavailable(Exception):
    """Transient: the provider is away or overloaded; retried with back-off (not sooner than its
    `retry_after`, when it said). Any other exception from a provider is treated the same way."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class DeliveryProvider(Protocol):
    """The port of one channel. `send` must be safe to repeat with the same idempotency key."""

    @property
    def name(self) -> str: ...

    async def send(self, message: OutgoingMessage) -> ProviderReceipt: ...


@dataclass(frozen=True)
class DeliveryOutcome:
    """A delivery's final outcome, handed to the service in the transaction that stores it."""

    delivery_id: UUID
    channel: str
    recipient: str | None
    idempotency_key: str
    ref_type: str | None
    ref_id: str | None
    status: Literal["sent", "failed"]
    provider: str
    attempts: int
    at: datetime
    reference: str | None = None
    response: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None


OutcomeHandler = Callable[[AsyncSession, DeliveryOutcome], Awaitable[None]]
"""Runs in the worker's transaction that stores the outcome (keyed by the row's `ref_type`): a
notification's status, a fiscal document's number, sign and time commit together with it. If it
raises, neither is stored and the delivery is retried (the provider answers the repeat with its
first answer)."""
