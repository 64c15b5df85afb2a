"""Side effects outside the database (SMS, WhatsApp, fiscal receipts), effectively once.

A service records the effect with `Deliveries.add` in the transaction of the state change that
causes it; the `DeliveryWorker` in each process sends it afterwards through the channel's
`DeliveryProvider`, with retries and the row's idempotency key, and stores the outcome
(architecture.md, Events and Fiscal receipts).
"""

from clinic_common.deliveries.policy import RetryPolicy
from clinic_common.deliveries.ports import (
    DeliveryOutcome,
    DeliveryProvider,
    DeliveryRejected,
    DeliveryUnavailable,
    OutcomeHandler,
    OutgoingMessage,
    ProviderReceipt,
)
from clinic_common.deliveries.providers import HttpProvider, Providers, RecordingProvider
from clinic_common.deliveries.store import Deliveries
from clinic_common.deliveries.worker import ClaimedDelivery, DeliveryWorker

__all__ = [
    "ClaimedDelivery",
    "Deliveries",
    "DeliveryOutcome",
    "DeliveryProvider",
    "DeliveryRejected",
    "DeliveryUnavailable",
    "DeliveryWorker",
    "HttpProvider",
    "OutcomeHandler",
    "OutgoingMessage",
    "ProviderReceipt",
    "Providers",
    "RecordingProvider",
    "RetryPolicy",
]
